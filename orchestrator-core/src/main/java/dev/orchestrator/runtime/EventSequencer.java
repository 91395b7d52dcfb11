package dev.orchestrator.runtime;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each task's events to the listeners in the order they happened. Events reach a node from
 * many threads (the group commit, the dispatcher, the scheduler, a caller's cancel) and, through a
 * cluster-wide bus, from other nodes, so they may arrive out of order. A task's status changes are
 * totally ordered by {@link TaskEvent#version()}: an event that arrives ahead of its predecessor is
 * held until the predecessor comes; when it has not come within the hold time (it happened on a
 * node whose events this bus does not carry, or it is slow), the missing changes are read from the
 * store, which wrote them before the held event could happen, and delivered first. A change that
 * arrives after it was delivered that way is dropped. So, from the first event a listener hears of
 * a task, it hears every later status change of it once, in order, without gaps. Notes (events that
 * change no status) follow the change they were made after.
 *
 * <p>Delivery runs on one thread of its own, never on the thread that published the event, so a
 * slow listener does not hold up workers. Internal.
 */
public final class EventSequencer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventSequencer.class);

  /**
   * Live tasks whose position is remembered (the least recently heard are forgotten beyond this),
   * and ended tasks likewise.
   */
  private static final int MAX_TRACKED = 1_000_000;

  private final TaskStore store;
  private final Consumer<TaskEvent> listeners;
  private final Duration hold;

  /** Events accepted and not yet taken by the delivery thread; {@link #END} closes it. */
  private final BlockingQueue<TaskEvent> arrivals = new LinkedBlockingQueue<>();

  private static final TaskEvent END =
      new TaskEvent(new UUID(0, 0), null, TaskStatus.QUEUED, Instant.EPOCH, 0, "end", 0);

  private final Thread delivery;
  private volatile boolean closed;

  /** The delivery thread's gap checks, by due time (only that thread touches them). */
  private final PriorityQueue<GapCheck> gapChecks =
      new PriorityQueue<>(Comparator.comparingLong(GapCheck::dueNanos));

  private record GapCheck(long dueNanos, UUID taskId) {}

  /** Per task: the last status change delivered, and what waits for a missing one. */
  private final Map<UUID, Track> tracks =
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Track> eldest) {
          return size() > MAX_TRACKED && eldest.getValue().held == null;
        }
      };

  /**
   * Tasks that ended, with the version they ended at, the least recently ended forgotten beyond
   * {@link #MAX_TRACKED}: a late copy of one of their events is dropped, and a retry continues from
   * there. An ended task leaves {@link #tracks}, so a backlog of live tasks never pushes one out.
   */
  private final Map<UUID, Long> ended =
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
          return size() > MAX_TRACKED;
        }
      };

  private static final class Track {
    /** Version of the last status change delivered; -1 before the first. */
    long delivered = -1;

    /** Events that arrived ahead of a missing change, by version; null when none. */
    TreeMap<Long, List<TaskEvent>> held;

    boolean checkPlanned;
  }

  /**
   * @param store where missing changes are read from
   * @param listeners receives each event, in order per task, on the delivery thread
   * @param hold how long an early event waits for its predecessor before the store is asked
   * @param nodeId names the delivery thread
   */
  public EventSequencer(
      TaskStore store, Consumer<TaskEvent> listeners, Duration hold, String nodeId) {
    this.store = store;
    this.listeners = listeners;
    this.hold = hold;
    this.delivery = new Thread(this::deliverAll, "orchestrator-listeners-" + nodeId);
    this.delivery.setDaemon(true);
    this.delivery.start();
  }

  /** Takes an event from any thread; it is delivered later, on the delivery thread. */
  public void accept(TaskEvent event) {
    if (closed) {
      log.debug("sequencer closed; {} not delivered", event);
      return;
    }
    arrivals.add(event);
  }

  /** The delivery thread: events as they arrive, gap checks when they are due, until closed. */
  private void deliverAll() {
    List<TaskEvent> batch = new ArrayList<>();
    while (true) {
      try {
        GapCheck next = gapChecks.peek();
        TaskEvent first =
            next == null
                ? arrivals.take()
                : arrivals.poll(next.dueNanos() - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (first != null) {
          batch.add(first);
          arrivals.drainTo(batch);
          for (TaskEvent e : batch) {
            if (e == END) {
              return;
            }
            safely(() -> arrive(e));
          }
          batch.clear();
        }
        long now = System.nanoTime();
        while (!gapChecks.isEmpty() && gapChecks.peek().dueNanos() <= now) {
          UUID taskId = gapChecks.poll().taskId();
          safely(() -> fillGap(taskId));
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void safely(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.warn("delivering an event to the listeners failed", e);
    }
  }

  private void arrive(TaskEvent e) {
    Track track = tracks.get(e.taskId());
    if (track == null) {
      track = new Track();
      Long endedAt = ended.get(e.taskId());
      if (endedAt != null && e.version() <= endedAt) {
        if (!e.isTransition() && e.version() == endedAt) {
          listeners.accept(e); // a note made after the task ended
        } else {
          log.trace("dropping {}: its task ended at version {}", e, endedAt);
        }
        return;
      }
      ended.remove(e.taskId());
      if (endedAt != null) {
        track.delivered = endedAt;
      }
      tracks.put(e.taskId(), track);
      // the creation, or the retry of a task that ended here: nothing before it is on its way
      if (e.isTransition() && e.version() == track.delivered + 1) {
        deliver(track, e);
        return;
      }
      hold(e, track); // the task's earlier changes may still be on their way
      return;
    }
    if (!e.isTransition()) {
      if (e.version() <= track.delivered) {
        listeners.accept(e);
      } else {
        hold(e, track);
      }
    } else if (e.version() <= track.delivered) {
      log.trace("dropping {}: delivered already", e);
    } else if (e.version() == track.delivered + 1) {
      deliver(track, e);
      release(track);
    } else {
      hold(e, track);
    }
  }

  private void hold(TaskEvent e, Track track) {
    if (track.held == null) {
      track.held = new TreeMap<>();
    }
    track.held.computeIfAbsent(e.version(), v -> new ArrayList<>(2)).add(e);
    if (!track.checkPlanned) {
      track.checkPlanned = true;
      gapChecks.add(new GapCheck(System.nanoTime() + hold.toNanos(), e.taskId()));
    }
  }

  /**
   * Delivers one event; a status change at or before the last one delivered is a duplicate. A task
   * that ended is forgotten once nothing of it is held: its next change, if any, is an explicit
   * retry, which starts a new track.
   */
  private void deliver(Track track, TaskEvent e) {
    if (e.isTransition()) {
      if (e.version() <= track.delivered) {
        return;
      }
      track.delivered = e.version();
    }
    listeners.accept(e);
    if (e.isTransition() && e.to().isTerminal() && track.held == null) {
      tracks.remove(e.taskId());
      ended.put(e.taskId(), track.delivered);
    }
  }

  /** Delivers held events that now follow without a gap. */
  private void release(Track track) {
    while (track.held != null) {
      Map.Entry<Long, List<TaskEvent>> first = track.held.firstEntry();
      long version = first.getKey();
      boolean transition = first.getValue().stream().anyMatch(TaskEvent::isTransition);
      if (transition ? version > track.delivered + 1 : version > track.delivered) {
        return;
      }
      track.held.pollFirstEntry();
      if (track.held.isEmpty()) {
        track.held = null;
      }
      // the change itself first, then the notes made in its status
      first.getValue().stream().filter(TaskEvent::isTransition).forEach(e -> deliver(track, e));
      first.getValue().stream().filter(e -> !e.isTransition()).forEach(listeners);
    }
  }

  /** The hold ran out: delivers the missing changes from the store, then everything held. */
  private void fillGap(UUID taskId) {
    Track track = tracks.get(taskId);
    if (track == null) {
      return;
    }
    track.checkPlanned = false;
    if (track.held == null) {
      return;
    }
    long firstHeld = track.held.firstKey();
    try {
      for (TaskEvent stored : store.events(taskId)) {
        if (stored.isTransition()
            && stored.version() > track.delivered
            && stored.version() < firstHeld) {
          deliver(track, stored);
        }
      }
    } catch (RuntimeException e) {
      log.warn("could not read the missing events of {}; delivering what came", taskId, e);
    }
    // whatever is still missing is lost to this node: go on from the earliest held change
    Map.Entry<Long, List<TaskEvent>> first = track.held.firstEntry();
    if (first.getValue().stream().anyMatch(TaskEvent::isTransition)) {
      track.delivered = Math.max(track.delivered, first.getKey() - 1);
    } else {
      track.delivered = Math.max(track.delivered, first.getKey());
    }
    release(track);
    if (track.held != null) {
      fillGap(taskId);
    }
  }

  /** Delivers what was accepted before the call, then stops the delivery thread. */
  @Override
  public void close() {
    closed = true;
    arrivals.add(END);
    try {
      delivery.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    delivery.interrupt();
  }
}

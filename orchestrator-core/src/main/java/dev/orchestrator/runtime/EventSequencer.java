package dev.orchestrator.runtime;

import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
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

  /** Tasks whose position is remembered; the least recently heard are forgotten beyond this. */
  private static final int MAX_TRACKED = 100_000;

  private final TaskStore store;
  private final Consumer<TaskEvent> listeners;
  private final Duration hold;
  private final ScheduledExecutorService delivery;

  /** Per task: the last status change delivered, and what waits for a missing one. */
  private final Map<UUID, Track> tracks =
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Track> eldest) {
          return size() > MAX_TRACKED && eldest.getValue().held.isEmpty();
        }
      };

  private static final class Track {
    /** Version of the last status change delivered; -1 before the first. */
    long delivered = -1;

    /** Events that arrived ahead of a missing change, by version. */
    final TreeMap<Long, List<TaskEvent>> held = new TreeMap<>();

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
    this.delivery =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "orchestrator-listeners-" + nodeId);
              t.setDaemon(true);
              return t;
            });
  }

  /** Takes an event from any thread; it is delivered later, on the delivery thread. */
  public void accept(TaskEvent event) {
    try {
      delivery.execute(() -> arrive(event));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      log.debug("sequencer closed; {} not delivered", event);
    }
  }

  private void arrive(TaskEvent e) {
    Track track = tracks.get(e.taskId());
    if (track == null) {
      track = new Track();
      tracks.put(e.taskId(), track);
      if (e.isTransition() && e.version() == 0) { // the creation: nothing came before it
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
    track.held.computeIfAbsent(e.version(), v -> new ArrayList<>(2)).add(e);
    if (!track.checkPlanned) {
      track.checkPlanned = true;
      delivery.schedule(() -> fillGap(e.taskId()), hold.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Delivers one event; a status change at or before the last one delivered is a duplicate. */
  private void deliver(Track track, TaskEvent e) {
    if (e.isTransition()) {
      if (e.version() <= track.delivered) {
        return;
      }
      track.delivered = e.version();
    }
    listeners.accept(e);
  }

  /** Delivers held events that now follow without a gap. */
  private void release(Track track) {
    while (!track.held.isEmpty()) {
      Map.Entry<Long, List<TaskEvent>> first = track.held.firstEntry();
      long version = first.getKey();
      boolean transition = first.getValue().stream().anyMatch(TaskEvent::isTransition);
      if (transition ? version > track.delivered + 1 : version > track.delivered) {
        return;
      }
      track.held.pollFirstEntry();
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
    if (track.held.isEmpty()) {
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
    if (!track.held.isEmpty()) {
      fillGap(taskId);
    }
  }

  /** Delivers what was accepted before the call, then stops the delivery thread. */
  @Override
  public void close() {
    delivery.shutdown();
    try {
      if (!delivery.awaitTermination(10, TimeUnit.SECONDS)) {
        delivery.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      delivery.shutdownNow();
    }
  }
}

package dev.orchestrator.memory;

import dev.orchestrator.Task;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded dispatch queue: task ids per lane (queue name and type), each lane a priority queue
 * (highest priority, then earliest {@linkplain Task#turn turn}, then oldest), one entry per id
 * however often it is offered. A poll takes the best ids of its route's lanes only, so a lane
 * nobody here serves never blocks the others. Pollers block on a condition, so a task offered is
 * picked up at once, not at the next poll.
 */
public final class InMemoryTaskQueue implements TaskQueue {
  private record Entry(UUID id, int priority, java.time.Instant turn) {}

  private record Lane(String queue, String type) {}

  private static final Comparator<Entry> ORDER =
      Comparator.comparingInt(Entry::priority)
          .reversed()
          .thenComparing(Entry::turn)
          .thenComparing(Entry::id);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition available = lock.newCondition();
  private final Map<Lane, TreeSet<Entry>> lanes = new HashMap<>();
  private final Map<UUID, Lane> laneOf = new HashMap<>();
  private long wakeUps;

  @Override
  public void offer(Collection<Task> tasks) {
    if (tasks.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      for (Task t : tasks) {
        if (!laneOf.containsKey(t.id())) {
          Lane lane = new Lane(t.queue(), t.type());
          lanes
              .computeIfAbsent(lane, l -> new TreeSet<>(ORDER))
              .add(new Entry(t.id(), t.priority(), t.turn()));
          laneOf.put(t.id(), lane);
        }
      }
      available.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Task> poll(Claimer claimer, int max, Duration maxWait) throws InterruptedException {
    List<UUID> ids = take(claimer.route(), max, maxWait);
    return ids.isEmpty() ? List.of() : claimer.claim(ids);
  }

  private List<UUID> take(Route route, int max, Duration maxWait) throws InterruptedException {
    long remaining = maxWait.toNanos();
    lock.lockInterruptibly();
    try {
      long seenWakeUps = wakeUps;
      List<TreeSet<Entry>> served = served(route);
      while (served.isEmpty() && remaining > 0 && seenWakeUps == wakeUps) {
        remaining = available.awaitNanos(remaining);
        served = served(route);
      }
      List<UUID> ids = new ArrayList<>();
      while (ids.size() < max) {
        TreeSet<Entry> best = null;
        for (TreeSet<Entry> lane : served) {
          if (!lane.isEmpty() && (best == null || ORDER.compare(lane.first(), best.first()) < 0)) {
            best = lane;
          }
        }
        if (best == null) {
          break;
        }
        Entry e = best.pollFirst();
        Lane lane = laneOf.remove(e.id());
        if (best.isEmpty()) {
          lanes.remove(lane);
        }
        ids.add(e.id());
      }
      return ids;
    } finally {
      lock.unlock();
    }
  }

  /** The route's lanes that hold ids. Called under the lock. */
  private List<TreeSet<Entry>> served(Route route) {
    List<TreeSet<Entry>> served = new ArrayList<>();
    for (Map.Entry<Lane, TreeSet<Entry>> e : lanes.entrySet()) {
      if (route.queues().contains(e.getKey().queue())
          && route.types().contains(e.getKey().type())) {
        served.add(e.getValue());
      }
    }
    return served;
  }

  @Override
  public void wakeUp() {
    lock.lock();
    try {
      wakeUps++;
      available.signalAll();
    } finally {
      lock.unlock();
    }
  }
}

package dev.orchestrator.memory;

import dev.orchestrator.Task;
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
 * The embedded dispatch queue: a priority queue of task ids (highest priority, then earliest runAt,
 * then oldest), one entry per id however often it is offered. Pollers block on a condition, so a
 * task offered is picked up at once, not at the next poll.
 */
public final class InMemoryTaskQueue implements TaskQueue {
  private record Entry(UUID id, int priority, java.time.Instant runAt) {}

  private static final Comparator<Entry> ORDER =
      Comparator.comparingInt(Entry::priority)
          .reversed()
          .thenComparing(Entry::runAt)
          .thenComparing(Entry::id);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition available = lock.newCondition();
  private final TreeSet<Entry> entries = new TreeSet<>(ORDER);
  private final Map<UUID, Entry> byId = new HashMap<>();
  private long wakeUps;

  @Override
  public void offer(Collection<Task> tasks) {
    if (tasks.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      for (Task t : tasks) {
        if (!byId.containsKey(t.id())) {
          Entry e = new Entry(t.id(), t.priority(), t.runAt());
          entries.add(e);
          byId.put(t.id(), e);
        }
      }
      available.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Task> poll(Claimer claimer, int max, Duration maxWait) throws InterruptedException {
    List<UUID> ids = take(max, maxWait);
    return ids.isEmpty() ? List.of() : claimer.claim(ids);
  }

  private List<UUID> take(int max, Duration maxWait) throws InterruptedException {
    long remaining = maxWait.toNanos();
    lock.lockInterruptibly();
    try {
      long seenWakeUps = wakeUps;
      while (entries.isEmpty() && remaining > 0 && seenWakeUps == wakeUps) {
        remaining = available.awaitNanos(remaining);
      }
      List<UUID> ids = new ArrayList<>(Math.min(max, entries.size()));
      while (ids.size() < max && !entries.isEmpty()) {
        Entry e = entries.pollFirst();
        byId.remove(e.id());
        ids.add(e.id());
      }
      return ids;
    } finally {
      lock.unlock();
    }
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

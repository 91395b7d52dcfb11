package dev.orchestrator.examples.benchmark;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The handler every system under test runs for a numbered task: the peers for all their tasks, the
 * orchestrator for its {@code probe} tasks (latency, io). It notes when each task first started
 * (the handler's first line), counts every call, and sleeps as long as the scenario asks (io).
 * Public, as JobRunr calls {@link #run} by name.
 */
public final class Probe {
  private static final AtomicLong runs = new AtomicLong();
  private static final Map<Integer, Long> firstStart = new ConcurrentHashMap<>();
  private static final Object startedLock = new Object();
  private static volatile long sleepMillis;

  private Probe() {}

  /** Forgets every earlier run: the next phase's tasks sleep this long. */
  static void reset(Duration sleep) {
    runs.set(0);
    firstStart.clear();
    sleepMillis = sleep.toMillis();
  }

  /** The task numbered n started: the first thing its handler does. */
  public static void run(int n) {
    long now = System.nanoTime();
    runs.incrementAndGet();
    if (firstStart.putIfAbsent(n, now) == null) {
      synchronized (startedLock) {
        startedLock.notifyAll();
      }
    }
    long sleep = sleepMillis;
    if (sleep > 0) {
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Calls of {@link #run} since the last reset (a task run twice counts twice). */
  static long runs() {
    return runs.get();
  }

  /** System.nanoTime() when task n first started. */
  static long startedAt(int n) {
    Long at = firstStart.get(n);
    if (at == null) {
      throw new Workload.Failed("task " + n + " never started");
    }
    return at;
  }

  /**
   * How many of the tasks numbered [first, first + count) started before this System.nanoTime().
   */
  static long startedBefore(long nanos, int first, int count) {
    return firstStart.entrySet().stream()
        .filter(e -> e.getKey() >= first && e.getKey() < first + count && e.getValue() < nanos)
        .count();
  }

  /** Waits until this many distinct tasks have started. */
  static void awaitStarted(long count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (startedLock) {
      while (firstStart.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new Workload.Failed(
              "timed out after "
                  + timeout.toSeconds()
                  + " s: "
                  + firstStart.size()
                  + " of "
                  + count
                  + " tasks started");
        }
        startedLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }
}

package dev.orchestrator.examples.benchmark;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What every system under test shares, so that all of them measure the same work the same way: the
 * sizes of each scenario and the few helpers that turn timings into figures.
 */
final class Workload {
  /** Tasks of {@code throughput} and {@code scale} when n is not given. */
  static final int TASKS = 20_000;

  /** Specs per {@code submitAll} (or the peer's batch call). */
  static final int BATCH = 1_000;

  static final int WORKERS = 8;

  /** Connections in the pool each node (or peer) gets. */
  static final int POOL_SIZE = 16;

  /** Submitted, untimed, before the timed submit-only run (JIT and server-side plans). */
  static final int SUBMIT_WARM_UP = 2_000;

  /** Run end to end, untimed, before a timed end-to-end run (at most n). */
  static final int RUN_WARM_UP = 1_000;

  /** Single submits timed in {@code latency} when n is not given, after untimed ones. */
  static final int LATENCY_SAMPLES = 200;

  static final int LATENCY_WARM_UP = 50;

  /** Between two single submits of {@code latency}. */
  static final Duration LATENCY_GAP = Duration.ofMillis(20);

  /** Tasks of {@code io} when n is not given; each sleeps {@link #IO_SLEEP}. */
  static final int IO_TASKS = 2_000;

  static final Duration IO_SLEEP = Duration.ofMillis(200);

  /** The sub-runs of {@code io} when no worker count is given. */
  static final int[] IO_WORKERS = {200, 2_000};

  /** The sub-runs of {@code scale}: this many nodes on one store. */
  static final int[] SCALE_NODES = {1, 2, 4};

  /**
   * Tenant a's backlog in {@code fairness} when n is not given; each sleeps {@link #FAIR_SLEEP}.
   */
  static final int FAIR_BACKLOG = 10_000;

  static final Duration FAIR_SLEEP = Duration.ofMillis(10);

  /** Tenant b's single tasks in {@code fairness}, {@link #FAIR_GAP} apart. */
  static final int FAIR_SAMPLES = 10;

  static final Duration FAIR_GAP = Duration.ofMillis(200);

  /** Cancels timed in {@code cancel} when n is not given. */
  static final int CANCELS = 100;

  private Workload() {}

  /** How long a run of this many tasks may take before it counts as stuck. */
  static Duration deadline(long tasks) {
    return Duration.ofSeconds(60).plusMillis(10 * tasks);
  }

  /** The p-th percentile (nearest rank) of the values. */
  static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** "p50 x ms, p95 y ms, p99 z ms, max w ms (n=k)" of latencies in nanoseconds. */
  static String latencies(long[] nanos) {
    return String.format(
        Locale.ROOT,
        "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)",
        millis(percentile(nanos, 50)),
        millis(percentile(nanos, 95)),
        millis(percentile(nanos, 99)),
        millis(percentile(nanos, 100)),
        nanos.length);
  }

  static double millis(long nanos) {
    return nanos / 1e6;
  }

  static double seconds(long startNanos) {
    return seconds(startNanos, System.nanoTime());
  }

  static double seconds(long startNanos, long endNanos) {
    return (endNanos - startNanos) / 1e9;
  }

  /** "12,345 tasks/s". */
  static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%,.0f tasks/s", perSecond);
  }

  /** Sleeps until System.nanoTime() reaches the instant: pacing, not waiting for a condition. */
  static void sleepUntil(long nanoTime) {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }
  }

  /**
   * Waits until the condition holds, checking every few milliseconds.
   *
   * @throws Failed when it still does not hold at the deadline
   */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new Failed("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** An invariant broke (a task lost or run twice, a count that disagrees, a deadline passed). */
  static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failed(String message) {
      super(message);
    }
  }

  /** The scenario does not apply to the system asked for. */
  static final class NotApplicable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotApplicable(String message) {
      super(message);
    }
  }
}

package dev.orchestrator.examples.benchmark;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What {@link Benchmark} (the orchestrator) and {@link PeerBenchmark} (db-scheduler, JobRunr)
 * share, so that both measure the same work the same way: the sizes of each phase and the few
 * helpers that turn timings into figures.
 */
final class Workload {
  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  /** Tasks submitted in the batch-submit phase (nothing running). */
  static final int SUBMIT_TASKS = 50_000;

  /** Tasks submitted in the warm-up before the timed batch submit (JIT and server-side plans). */
  static final int SUBMIT_WARM_UP = 2_000;

  /** Tasks submitted and run in the end-to-end phase. */
  static final int RUN_TASKS = 20_000;

  static final int BATCH = 1_000;
  static final int WORKERS = 8;

  /** Connections in the pool each system gets. */
  static final int POOL_SIZE = 16;

  /** Single tasks timed on an idle node, after {@link #LATENCY_WARM_UP} untimed ones. */
  static final int LATENCY_SAMPLES = 500;

  static final int LATENCY_WARM_UP = 50;

  private Workload() {}

  /** The p-th percentile (nearest rank) of the values. */
  static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  /** "p50 x ms, p99 y ms" of latencies in microseconds. */
  static String p50p99(long[] micros) {
    return "p50 %.1f ms, p99 %.1f ms"
        .formatted(percentile(micros, 50) / 1000.0, percentile(micros, 99) / 1000.0);
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Prints rows as a table; the first row is the header. */
  static void print(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder format = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      format.append(c == 0 ? "" : " | ").append("%-").append(widths[c]).append('s');
    }
    String line = "-".repeat(Arrays.stream(widths).sum() + 3 * (columns - 1));
    System.out.println(line);
    for (int r = 0; r < rows.size(); r++) {
      System.out.println(String.format(format.toString(), (Object[]) rows.get(r)).stripTrailing());
      if (r == 0) {
        System.out.println(line);
      }
    }
    System.out.println(line);
    System.out.println(
        "JVM "
            + Runtime.version()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores; "
            + Map.of("workers", WORKERS, "batch", BATCH, "pool", POOL_SIZE));
  }
}

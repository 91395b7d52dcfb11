package dev.orchestrator.examples.benchmark;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.llm.MockLlmClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Measures the orchestrator on PostgreSQL with the PostgreSQL work source (no Redis) and a mock
 * model that answers at once, so the figures are the orchestrator's own cost:
 *
 * <ol>
 *   <li>batch submit rate: {@code submitAll} of batches of 1,000 tasks, nothing running;
 *   <li>end-to-end throughput: tasks submitted in batches and run by one node with 8 workers, from
 *       the first submit until the last task completed;
 *   <li>submit-to-start latency of single tasks on an idle node (createdAt to startedAt).
 * </ol>
 *
 * <p>Run it with {@code ./mvnw -q -pl examples/benchmark -am install -DskipTests && ./mvnw -q -pl
 * examples/benchmark exec:java -Dexec.args="jdbc:postgresql://127.0.0.1:5432/test?user=postgres"}.
 * It works on tables prefixed {@code bench_}, dropped before and after each phase.
 */
public final class Benchmark {
  private static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  private static final String PREFIX = "bench_";
  private static final int SUBMIT_TASKS = 50_000;
  private static final int RUN_TASKS = 20_000;
  private static final int BATCH = 1_000;
  private static final int WORKERS = 8;
  private static final int LATENCY_SAMPLES = 500;

  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : DEFAULT_URL;
    List<String[]> rows = new ArrayList<>();

    double submitRate = withNode(url, false, Benchmark::batchSubmitRate);
    rows.add(
        row(
            "batch submit (" + SUBMIT_TASKS + " tasks, batches of " + BATCH + ")",
            "%,.0f tasks/s".formatted(submitRate)));

    double runRate = withNode(url, true, Benchmark::endToEndRate);
    rows.add(
        row(
            "end to end (" + RUN_TASKS + " tasks, " + WORKERS + " workers, no-op model)",
            "%,.0f tasks/s".formatted(runRate)));

    long[] latencies = withNode(url, true, Benchmark::singleTaskLatencies);
    rows.add(
        row(
            "submit to start, single tasks (" + LATENCY_SAMPLES + ")",
            "p50 %.1f ms, p99 %.1f ms"
                .formatted(
                    percentile(latencies, 50) / 1000.0, percentile(latencies, 99) / 1000.0)));

    print(rows);
  }

  private static double batchSubmitRate(Orchestrator node, PostgresTaskStore store) {
    submit(node, 2_000, "warm-up"); // JIT and server-side plans
    long start = System.nanoTime();
    submit(node, SUBMIT_TASKS, "submit");
    return SUBMIT_TASKS / seconds(start);
  }

  private static double endToEndRate(Orchestrator node, PostgresTaskStore store) {
    long start = System.nanoTime();
    submit(node, RUN_TASKS, "run");
    while (store.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L) < RUN_TASKS) {
      sleep(20);
    }
    return RUN_TASKS / seconds(start);
  }

  private static long[] singleTaskLatencies(Orchestrator node, PostgresTaskStore store)
      throws Exception {
    for (int i = 0; i < 50; i++) { // warm-up
      node.await(node.submit(TaskSpec.prompt("warm-up " + i).build()).id())
          .get(10, TimeUnit.SECONDS);
    }
    long[] micros = new long[LATENCY_SAMPLES];
    for (int i = 0; i < LATENCY_SAMPLES; i++) {
      Task submitted = node.submit(TaskSpec.prompt("single " + i).build());
      Task done = node.await(submitted.id()).get(10, TimeUnit.SECONDS);
      micros[i] = Duration.between(done.createdAt(), done.startedAt()).toNanos() / 1000;
    }
    return micros;
  }

  private static void submit(Orchestrator node, int count, String label) {
    for (int from = 0; from < count; from += BATCH) {
      List<TaskSpec> batch = new ArrayList<>(BATCH);
      for (int i = from; i < Math.min(count, from + BATCH); i++) {
        batch.add(TaskSpec.prompt(label + " task " + i).build());
      }
      node.submitAll(batch);
    }
  }

  @FunctionalInterface
  private interface Phase<T> {
    T run(Orchestrator node, PostgresTaskStore store) throws Exception;
  }

  /** Runs a phase on fresh tables with one node (started or not), then drops the tables. */
  private static <T> T withNode(String url, boolean start, Phase<T> phase) throws Exception {
    try (PostgresTaskStore store =
        PostgresTaskStore.builder()
            .jdbcUrl(url, null, null)
            .maximumPoolSize(16)
            .tablePrefix(PREFIX)
            .migrate(false)
            .build()) {
      dropTables(store);
      new dev.orchestrator.jdbc.SchemaMigrator(store.dataSource(), PREFIX).migrate();
      try (PostgresWorkSource source = PostgresWorkSource.of(store);
          Orchestrator node =
              Orchestrator.builder()
                  .store(store)
                  .queue(source)
                  .llm(MockLlmClient.builder().latency(Duration.ZERO).build())
                  .workers(WORKERS)
                  .nodeId("bench")
                  .build()) {
        if (start) {
          node.start();
        }
        return phase.run(node, store);
      } finally {
        dropTables(store);
      }
    }
  }

  private static void dropTables(PostgresTaskStore store) throws SQLException {
    try (Connection c = store.dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String table : List.of("tasks", "attempts", "events", "edges", "schema_version")) {
        s.execute("DROP TABLE IF EXISTS " + PREFIX + table);
      }
    }
  }

  private static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String[] row(String measure, String value) {
    return new String[] {measure, value};
  }

  private static void print(List<String[]> rows) {
    int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
    String line = "-".repeat(width + 32);
    System.out.println(line);
    System.out.printf(
        "%-" + width + "s | %s%n", "measure (PostgreSQL store + work source)", "result");
    System.out.println(line);
    rows.forEach(r -> System.out.printf("%-" + width + "s | %s%n", r[0], r[1]));
    System.out.println(line);
    System.out.println(
        "JVM "
            + Runtime.version()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores; "
            + Map.of("workers", WORKERS, "batch", BATCH));
  }
}

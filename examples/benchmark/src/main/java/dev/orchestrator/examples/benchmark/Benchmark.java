package dev.orchestrator.examples.benchmark;

import static dev.orchestrator.examples.benchmark.Workload.BATCH;
import static dev.orchestrator.examples.benchmark.Workload.DEFAULT_URL;
import static dev.orchestrator.examples.benchmark.Workload.LATENCY_SAMPLES;
import static dev.orchestrator.examples.benchmark.Workload.LATENCY_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.POOL_SIZE;
import static dev.orchestrator.examples.benchmark.Workload.RUN_TASKS;
import static dev.orchestrator.examples.benchmark.Workload.SUBMIT_TASKS;
import static dev.orchestrator.examples.benchmark.Workload.SUBMIT_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.WORKERS;
import static dev.orchestrator.examples.benchmark.Workload.p50p99;
import static dev.orchestrator.examples.benchmark.Workload.print;
import static dev.orchestrator.examples.benchmark.Workload.seconds;
import static dev.orchestrator.examples.benchmark.Workload.sleep;

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
import java.util.List;
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
 * It works on tables prefixed {@code bench_}, dropped before and after each phase. {@link
 * PeerBenchmark} runs the same phases (sizes in {@link Workload}) on db-scheduler and JobRunr.
 */
public final class Benchmark {
  private static final String PREFIX = "bench_";

  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : DEFAULT_URL;
    List<String[]> rows = new ArrayList<>();
    rows.add(row("measure (PostgreSQL store + work source)", "result"));

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
    rows.add(row("submit to start, single tasks (" + LATENCY_SAMPLES + ")", p50p99(latencies)));

    print(rows);
  }

  private static double batchSubmitRate(Orchestrator node, PostgresTaskStore store) {
    submit(node, SUBMIT_WARM_UP, "warm-up"); // JIT and server-side plans
    long start = System.nanoTime();
    submit(node, SUBMIT_TASKS, "submit");
    return SUBMIT_TASKS / seconds(start);
  }

  private static double endToEndRate(Orchestrator node, PostgresTaskStore store) throws Exception {
    // completions are counted as they are announced, so measuring adds no load on the database
    java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();
    try (AutoCloseable listening =
        node.addListener(
            e -> {
              if (e.to() == TaskStatus.COMPLETED && e.isTransition()) {
                completed.incrementAndGet();
              }
            })) {
      long start = System.nanoTime();
      submit(node, RUN_TASKS, "run");
      while (completed.get() < RUN_TASKS) {
        sleep(20);
      }
      double rate = RUN_TASKS / seconds(start);
      // the listener's word checked against the database's
      long stored = store.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L);
      if (stored != RUN_TASKS) {
        throw new IllegalStateException(stored + " completed in the database for " + RUN_TASKS);
      }
      return rate;
    }
  }

  private static long[] singleTaskLatencies(Orchestrator node, PostgresTaskStore store)
      throws Exception {
    for (int i = 0; i < LATENCY_WARM_UP; i++) {
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
            .maximumPoolSize(POOL_SIZE)
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
      for (String table : dev.orchestrator.jdbc.SchemaMigrator.TABLES) {
        s.execute("DROP TABLE IF EXISTS " + PREFIX + table);
      }
    }
  }

  private static String[] row(String measure, String value) {
    return new String[] {measure, value};
  }
}

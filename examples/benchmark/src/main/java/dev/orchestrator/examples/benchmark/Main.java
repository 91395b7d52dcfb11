package dev.orchestrator.examples.benchmark;

import dev.orchestrator.examples.benchmark.OrchestratorSubject.Store;
import java.util.Arrays;
import java.util.Set;

/**
 * The benchmark's one entry point:
 *
 * <pre>
 * java -jar examples/benchmark/target/orchestrator-benchmark.jar &lt;impl&gt; &lt;scenario&gt; [n] [workers]
 * </pre>
 *
 * <p>See {@link #USAGE}. It prints a table of what it measured (with the cost per task on
 * PostgreSQL) and, last, one {@code RESULT} line per run ({@link Report}). Exit codes: 0 done, 1 an
 * invariant broke (a task not completed, a count that disagrees, a deadline passed) or an error, 2
 * a usage error or a scenario that does not apply to the impl. Speed figures never fail a run.
 */
public final class Main {
  static final String DEFAULT_POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

  static final String USAGE =
      """
      usage: java -jar orchestrator-benchmark.jar <impl> <scenario> [n] [workers]
        impl      memory | postgres | postgres-redis   the orchestrator on that store
                  db-scheduler | jobrunr               a peer (throughput, latency, io, fairness)
        scenario  throughput  n no-op tasks (default 20,000): a submit-only phase (submitAll,
                              batches of 1,000, nothing running) for enqueue_per_s, then an
                              end-to-end phase on one node with `workers` workers (default 8)
                  latency     n single submits (default 200) 20 ms apart through a second node,
                              timed to the first line of the handler on the running node
                  io          n tasks (default 2,000) that sleep 200 ms, with 200 and then 2,000
                              workers (only `workers` when given); rate and peak heap
                  fairness    tenant a's backlog of n tasks (default 10,000, 10 ms each), then
                              tenant b's 10 single tasks: b's wait from submit to start
                  scale       throughput's end-to-end phase on 1, 2 and 4 nodes sharing the store
                  cancel      n cancels (default 100) on one node of a task running on another
                              (memory, postgres-redis)
                  ratelimit   three Redis rate limiters, 24 threads, 50 req/s (postgres-redis)
                  chaos       the chaos harness: java -jar ... <impl> chaos [its arguments]
      servers: ORCHESTRATOR_BENCH_POSTGRES_URL (JDBC, default %s)
               ORCHESTRATOR_BENCH_REDIS_URL (default %s)
      exit: 0 done, 1 an invariant broke or an error, 2 usage or not applicable
      """
          .formatted(DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL);

  private static final Set<String> ORCHESTRATOR_ONLY = Set.of("scale", "cancel", "ratelimit");

  private Main() {}

  public static void main(String[] args) {
    // the peers' banners and each node's start and stop are INFO
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length >= 2 && args[1].equals("chaos")) {
      return Chaos.run(args[0], Arrays.copyOfRange(args, 2, args.length));
    }
    if (args.length < 2 || args.length > 4) {
      return usage(args.length == 0 ? null : "expected <impl> <scenario> [n] [workers]");
    }
    String impl = args[0];
    String scenario = args[1];
    Integer n;
    Integer workers;
    try {
      n = args.length > 2 ? positive(args[2], "n") : null;
      workers = args.length > 3 ? positive(args[3], "workers") : null;
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    String jdbcUrl = env("ORCHESTRATOR_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL);
    String redisUrl = env("ORCHESTRATOR_BENCH_REDIS_URL", DEFAULT_REDIS_URL);

    Store store = Store.of(impl);
    Subject subject =
        store != null
            ? new OrchestratorSubject(store, jdbcUrl, redisUrl)
            : PeerSubject.of(impl, jdbcUrl);
    if (subject == null) {
      return usage("unknown impl: " + impl);
    }
    int w = workers != null ? workers : Workload.WORKERS;
    Report report = new Report(subject.impl(), scenario, subject.postgres() != null);
    try {
      if (store == null && ORCHESTRATOR_ONLY.contains(scenario)) {
        throw new Workload.NotApplicable(
            "not applicable: "
                + scenario
                + " on "
                + impl
                + " (peers run throughput, latency, io, fairness)");
      }
      switch (scenario) {
        case "throughput" ->
            Scenarios.throughput(subject, report, n != null ? n : Workload.TASKS, w);
        case "latency" ->
            Scenarios.latency(subject, report, n != null ? n : Workload.LATENCY_SAMPLES, w);
        case "io" ->
            Scenarios.io(
                subject,
                report,
                n != null ? n : Workload.IO_TASKS,
                workers != null ? new int[] {workers} : Workload.IO_WORKERS);
        case "fairness" ->
            Scenarios.fairness(subject, report, n != null ? n : Workload.FAIR_BACKLOG, w);
        case "scale" -> ours(subject).scale(report, n != null ? n : Workload.TASKS, w);
        case "cancel" -> ours(subject).cancel(report, n != null ? n : Workload.CANCELS, w);
        case "ratelimit" -> ours(subject).rateLimit(report);
        default -> {
          return usage("unknown scenario: " + scenario);
        }
      }
    } catch (Workload.NotApplicable e) {
      System.out.println(e.getMessage());
      return 2;
    } catch (Workload.Failed e) {
      System.out.flush();
      System.err.println("FAILED: " + subject.impl() + " " + scenario + ": " + e.getMessage());
      return 1;
    } catch (Exception | AssertionError e) {
      System.out.flush();
      System.err.println("ERROR: " + subject.impl() + " " + scenario + ": " + e);
      e.printStackTrace();
      return 1;
    }
    report.print(subject.settings(w));
    return 0;
  }

  private static OrchestratorSubject ours(Subject subject) {
    return (OrchestratorSubject) subject;
  }

  private static int usage(String problem) {
    if (problem != null) {
      System.err.println(problem);
    }
    System.err.print(USAGE);
    return 2;
  }

  private static int positive(String text, String name) {
    try {
      int value = Integer.parseInt(text.replace("_", "").replace(",", ""));
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(name + " must be a positive number: " + text);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}

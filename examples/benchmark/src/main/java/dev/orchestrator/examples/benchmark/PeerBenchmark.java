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
import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration.JobRunrConfigurationResult;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * Runs {@link Benchmark}'s three phases on the peers a user would otherwise pick, on the same
 * PostgreSQL, with the same sizes ({@link Workload}) and a task that does nothing:
 *
 * <ol>
 *   <li>batch submit rate, nothing running (each peer's batch API, see {@link Peer#submit});
 *   <li>end-to-end throughput with 8 workers, from the first submit until the database says the
 *       last task is done;
 *   <li>submit-to-start latency of single tasks on an idle node: from just before the submit call
 *       to the first line of the task's handler. Each sample waits a random pause within the peer's
 *       polling interval first, so it arrives at a random point of the poll cycle, as a task on an
 *       idle node would (back to back, a poll-bound peer locks onto its own cycle).
 * </ol>
 *
 * <p>Each peer works in a schema of its own ({@code peer_dbscheduler}, {@code peer_jobrunr}),
 * dropped before and after each phase. Run it with {@code ./mvnw -q -pl examples/benchmark -am
 * install -DskipTests && ./mvnw -q -pl examples/benchmark exec:java
 * -Dexec.mainClass=dev.orchestrator.examples.benchmark.PeerBenchmark}.
 */
public final class PeerBenchmark {
  private PeerBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // peers' banners
    String url = args.length > 0 ? args[0] : DEFAULT_URL;
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"measure (same PostgreSQL)", "db-scheduler", "JobRunr"});
    rows.add(new String[] {"batch submit (" + SUBMIT_TASKS + " tasks, batches of " + BATCH + ")"});
    rows.add(new String[] {"end to end (" + RUN_TASKS + " tasks, " + WORKERS + " workers, no-op)"});
    rows.add(new String[] {"submit to start, single tasks"});
    rows.add(new String[] {"settings"});
    try (HikariDataSource db = dataSource(url)) {
      List<Peer> peers = List.of(new DbScheduler(db), new JobRunrPeer(db));
      for (Peer peer : peers) {
        addCell(rows, 1, "%,.0f tasks/s".formatted(submitRate(peer)));
        addCell(rows, 2, "%,.0f tasks/s".formatted(endToEndRate(peer)));
        long[] latencies = latencies(peer);
        addCell(rows, 3, p50p99(latencies) + " (n=" + latencies.length + ")");
        addCell(rows, 4, peer.settings());
      }
    }
    print(rows);
  }

  private static double submitRate(Peer peer) throws Exception {
    try (peer) {
      peer.open(false);
      submit(peer, 0, SUBMIT_WARM_UP); // JIT and server-side plans
      long start = System.nanoTime();
      submit(peer, SUBMIT_WARM_UP, SUBMIT_TASKS);
      return SUBMIT_TASKS / seconds(start);
    }
  }

  private static double endToEndRate(Peer peer) throws Exception {
    try (peer) {
      peer.open(true);
      Probe.runs.set(0);
      long start = System.nanoTime();
      submit(peer, 0, RUN_TASKS);
      while (peer.done() < RUN_TASKS) {
        sleep(20);
      }
      double rate = RUN_TASKS / seconds(start);
      if (Probe.runs.get() < RUN_TASKS) { // the database's word checked against the handler's
        throw new IllegalStateException(Probe.runs.get() + " runs for " + RUN_TASKS + " tasks");
      }
      return rate;
    }
  }

  /** Microseconds from just before each submit to the start of its handler, one at a time. */
  private static long[] latencies(Peer peer) throws Exception {
    try (peer) {
      peer.open(true);
      Random random = new Random(42);
      int warmUp = Math.min(LATENCY_WARM_UP, peer.latencySamples() / 10);
      long[] micros = new long[peer.latencySamples()];
      for (int i = -warmUp; i < micros.length; i++) {
        sleep(random.nextInt((int) peer.pollingInterval().toMillis()));
        CompletableFuture<Long> started = Probe.expect();
        long submitted = System.nanoTime();
        peer.submitOne(i + warmUp);
        long nanos = started.get(30, TimeUnit.SECONDS) - submitted;
        if (i >= 0) {
          micros[i] = nanos / 1000;
        }
      }
      return micros;
    }
  }

  /** Submits tasks numbered [from, from + count) in batches of {@link Workload#BATCH}. */
  private static void submit(Peer peer, int from, int count) throws Exception {
    for (int i = from; i < from + count; i += BATCH) {
      peer.submit(i, Math.min(BATCH, from + count - i));
    }
  }

  /**
   * The task every peer runs: nothing, but a latency sample waiting for it is told it started.
   * Public, as JobRunr calls it by name; {@code n} makes each job's arguments its own.
   */
  public static final class Probe {
    private static final AtomicLong runs = new AtomicLong();
    private static volatile CompletableFuture<Long> waiting = new CompletableFuture<>();

    private Probe() {}

    static CompletableFuture<Long> expect() {
      waiting = new CompletableFuture<>();
      return waiting;
    }

    public static void run(int n) {
      waiting.complete(System.nanoTime());
      runs.incrementAndGet();
    }
  }

  /** One peer on fresh tables: {@code open} creates them, {@code close} stops it and drops them. */
  private interface Peer extends AutoCloseable {
    void open(boolean runWorkers) throws Exception;

    /** Submits tasks numbered [first, first + count) with the peer's batch API. */
    void submit(int first, int count) throws Exception;

    void submitOne(int n) throws Exception;

    /** How many tasks the database holds as done. */
    long done() throws Exception;

    /** How often it looks for due tasks when nothing tells it of one. */
    Duration pollingInterval();

    int latencySamples();

    String settings();
  }

  /**
   * db-scheduler with the settings its README gives for high throughput: lock-and-fetch polling
   * ({@code select for update skip locked}) at 1.0/4.0 of the threads, immediate execution of tasks
   * due now, and a short polling interval.
   */
  private static final class DbScheduler implements Peer {
    private static final String SCHEMA = "peer_dbscheduler";
    private static final String TABLE = SCHEMA + ".scheduled_tasks";
    private static final Duration POLLING_INTERVAL = Duration.ofMillis(10);

    private final DataSource db;
    private final OneTimeTask<Void> task =
        Tasks.oneTime("noop").execute((instance, context) -> Probe.run(0));
    private SchedulerClient client;
    private Scheduler scheduler;

    DbScheduler(DataSource db) {
      this.db = db;
    }

    @Override
    public void open(boolean runWorkers) throws SQLException {
      // db-scheduler leaves its table to the user: this is its documented PostgreSQL table
      execute(
          db,
          "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE",
          "CREATE SCHEMA " + SCHEMA,
          """
          CREATE TABLE %s (
            task_name            text        NOT NULL,
            task_instance        text        NOT NULL,
            task_data            bytea,
            execution_time       timestamptz NOT NULL,
            picked               boolean     NOT NULL,
            picked_by            text,
            last_success         timestamptz,
            last_failure         timestamptz,
            consecutive_failures int,
            last_heartbeat       timestamptz,
            version              bigint      NOT NULL,
            priority             smallint,
            PRIMARY KEY (task_name, task_instance))"""
              .formatted(TABLE),
          "CREATE INDEX ON " + TABLE + " (execution_time)",
          "CREATE INDEX ON " + TABLE + " (last_heartbeat)",
          "CREATE INDEX ON " + TABLE + " (priority DESC, execution_time ASC)");
      if (runWorkers) {
        scheduler =
            Scheduler.create(db, task)
                .tableName(TABLE)
                .threads(WORKERS)
                .pollUsingLockAndFetch(1.0, 4.0)
                .pollingInterval(POLLING_INTERVAL)
                .enableImmediateExecution()
                .schedulerName(new SchedulerName.Fixed("peer-bench"))
                .build();
        scheduler.start();
        client = scheduler;
      } else {
        client = SchedulerClient.Builder.create(db, task).tableName(TABLE).build();
      }
    }

    @Override
    public void submit(int first, int count) {
      List<TaskInstance<?>> batch = new ArrayList<>(count);
      for (int i = first; i < first + count; i++) {
        batch.add(task.instance("task-" + i));
      }
      client.scheduleBatch(batch, Instant.now());
    }

    @Override
    public void submitOne(int n) {
      client.schedule(task.instance("single-" + n), Instant.now());
    }

    @Override
    public long done() throws SQLException {
      // a one-time task's row is deleted when its execution completed
      return RUN_TASKS - count(db, "SELECT count(*) FROM " + TABLE);
    }

    @Override
    public Duration pollingInterval() {
      return POLLING_INTERVAL;
    }

    @Override
    public int latencySamples() {
      return LATENCY_SAMPLES;
    }

    @Override
    public String settings() {
      return "scheduleBatch; threads(%d), pollUsingLockAndFetch(1.0, 4.0), pollingInterval(%d ms), enableImmediateExecution"
          .formatted(WORKERS, POLLING_INTERVAL.toMillis());
    }

    @Override
    public void close() throws SQLException {
      if (scheduler != null) {
        scheduler.stop();
        scheduler = null;
      }
      execute(db, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }
  }

  /**
   * JobRunr with its PostgreSQL storage provider (it creates its own tables), 8 workers and the
   * shortest poll interval it accepts on a SQL database (5 s). Its idle latency is bound to that
   * poll, so it is sampled fewer times.
   */
  private static final class JobRunrPeer implements Peer {
    private static final String SCHEMA = "peer_jobrunr";
    private static final Duration POLLING_INTERVAL = Duration.ofSeconds(5);
    private static final int SAMPLES_AT_5S_POLL = 40;

    private final DataSource db;
    private StorageProvider storage;
    private JobScheduler jobs;

    JobRunrPeer(DataSource db) {
      this.db = db;
    }

    @Override
    public void open(boolean runWorkers) throws SQLException {
      execute(db, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
      storage = new PostgresStorageProvider(db, SCHEMA + ".", DatabaseOptions.CREATE);
      JobRunrConfigurationResult jobRunr =
          JobRunr.configure()
              .useJsonMapper(new JacksonJsonMapper())
              .useStorageProvider(storage)
              .useBackgroundJobServerIf(
                  runWorkers,
                  usingStandardBackgroundJobServerConfiguration()
                      .andWorkerCount(WORKERS)
                      .andPollInterval(POLLING_INTERVAL))
              .initialize();
      jobs = jobRunr.getJobScheduler();
      BackgroundJobServer server = jobRunr.getBackgroundJobServer();
      while (runWorkers && !(server.isAnnounced() && server.isRunning())) {
        sleep(10); // the server starts in the background: time it from when it is up
      }
    }

    @Override
    public void submit(int first, int count) {
      jobs.enqueue(IntStream.range(first, first + count).boxed(), n -> Probe.run(n));
    }

    @Override
    public void submitOne(int n) {
      jobs.enqueue(() -> Probe.run(n));
    }

    @Override
    public long done() {
      return storage.countJobs(StateName.SUCCEEDED);
    }

    @Override
    public Duration pollingInterval() {
      return POLLING_INTERVAL;
    }

    @Override
    public int latencySamples() {
      return SAMPLES_AT_5S_POLL;
    }

    @Override
    public String settings() {
      return "enqueue(Stream); PostgresStorageProvider, andWorkerCount(%d), andPollInterval(%d s)"
          .formatted(WORKERS, POLLING_INTERVAL.toSeconds());
    }

    @Override
    public void close() throws SQLException {
      if (storage != null) {
        JobRunr.destroy(); // stops the background job server and the storage provider
        storage = null;
      }
      execute(db, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }
  }

  private static HikariDataSource dataSource(String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(POOL_SIZE);
    return new HikariDataSource(config);
  }

  private static void execute(DataSource db, String... statements) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static long count(DataSource db, String query) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }

  /** Adds a cell to row r, and says so at once: a whole run takes minutes. */
  private static void addCell(List<String[]> rows, int r, String cell) {
    String[] row = Arrays.copyOf(rows.get(r), rows.get(r).length + 1);
    row[row.length - 1] = cell;
    rows.set(r, row);
    System.out.println(rows.get(0)[row.length - 1] + ", " + row[0] + ": " + cell);
  }
}

package dev.orchestrator.examples.benchmark;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.spi.EventBus;
import dev.orchestrator.spi.TaskQueue;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The chaos run: {@value #NODES} worker JVMs and one submitter on a PostgreSQL (and Redis) of the
 * run's own, n tasks (default {@value #DEFAULT_TASKS}) with random latency, 5 % retryable failures,
 * 1 % fatal ones and 2 % cancelled while they run (see {@link ChaosWorker}). While the tasks are
 * submitted, a worker is killed with SIGKILL every 10 s and started again, PostgreSQL is restarted
 * once in immediate mode (a crash: no checkpoint, recovery from the WAL), and Redis is flushed once
 * and killed and started again once. Then every task must reach exactly one terminal status, none
 * may complete twice or after a successful cancel, and every orphaned task must move on within the
 * lease plus 5 s. It prints
 *
 * <pre>
 * CHAOS submitted=n completed=c failed=f cancelled=x lost=0 double_completed=0
 *       completed_after_cancel=0 max_recovery_s=r
 * </pre>
 *
 * (one line) and returns 0 only when all of that holds.
 *
 * <p>Arguments: {@code [n] [--duration S] [--lease S] [--workers N] [--backlog N] [--drain S]
 * [--reconcile S] [--seed N] [--keep-logs]}. The submission lasts at least {@code --duration}
 * seconds (default: 40, or n/1000 when longer) and longer when the workers fall behind: it holds
 * back while more than {@code --backlog} (200) tasks are not terminal, so that an orphaned task
 * waits for its lease and not behind a queue that grew without bound. Kills come every 10 s (every
 * quarter of the duration when it is shorter than 40 s), each when the victim holds tasks RUNNING;
 * the Redis flush, the PostgreSQL restart and the Redis restart at 15 %, 45 % and 70 % of the run,
 * each once the last kill's orphans had their lease and 3 s more (the Redis ones right after a
 * batch was offered, so that Redis loses fresh hints, with more to come). After the submission the
 * run waits up to {@code --drain} (120) seconds for every task to end.
 *
 * <p>The worker nodes run with a lease of {@code --lease} (5) seconds, a heartbeat and a reaper of
 * 1 s, and a reconciler every {@code --reconcile} (10) seconds; their logs, PostgreSQL's and
 * Redis's go to a temp directory that is deleted after a passing run and kept (its path printed)
 * after a failing one or with {@code --keep-logs}. Both servers are the run's own, on free ports of
 * 127.0.0.1, and are stopped and deleted at the end, on failure too.
 */
public final class Chaos {
  static final int DEFAULT_TASKS = 50_000;
  static final int NODES = 3;
  static final String TABLES = "chaos_";
  static final String KEYS = "chaos:";
  static final Duration HEARTBEAT = Duration.ofSeconds(1);
  static final Duration REAPER_INTERVAL = Duration.ofSeconds(1);

  /** How much longer than the lease an orphaned task may take to move on. */
  static final Duration RECOVERY_SLACK = Duration.ofSeconds(5);

  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** The run's settings. */
  record Options(
      boolean redis,
      int tasks,
      double durationSeconds,
      int leaseSeconds,
      int workers,
      int backlog,
      double drainSeconds,
      int reconcileSeconds,
      long seed,
      boolean keepLogs) {

    double killEverySeconds() {
      return Math.min(10, durationSeconds / 4);
    }

    Duration recoveryTarget() {
      return Duration.ofSeconds(leaseSeconds).plus(RECOVERY_SLACK);
    }

    static Options parse(String impl, String[] args) {
      boolean redis =
          switch (impl) {
            case "postgres-redis" -> true;
            case "postgres" -> false;
            default ->
                throw new IllegalArgumentException(
                    "chaos runs on postgres-redis or postgres, not " + impl);
          };
      int tasks = DEFAULT_TASKS;
      Double duration = null;
      int lease = 5;
      int workers = 8;
      int backlog = 200;
      double drain = 120;
      int reconcile = 10;
      long seed = 42;
      boolean keepLogs = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--duration" -> duration = Double.parseDouble(value(args, ++i, a));
          case "--lease" -> lease = Integer.parseInt(value(args, ++i, a));
          case "--workers" -> workers = Integer.parseInt(value(args, ++i, a));
          case "--backlog" -> backlog = Integer.parseInt(value(args, ++i, a));
          case "--drain" -> drain = Double.parseDouble(value(args, ++i, a));
          case "--reconcile" -> reconcile = Integer.parseInt(value(args, ++i, a));
          case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
          case "--keep-logs" -> keepLogs = true;
          default -> {
            if (a.startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + a);
            }
            tasks = Integer.parseInt(a.replace("_", "").replace(",", ""));
          }
        }
      }
      if (tasks < 1 || lease < 2 || workers < 1 || backlog < 1) {
        throw new IllegalArgumentException(
            "n, --workers and --backlog must be positive, --lease >= 2");
      }
      double d = duration != null ? duration : Math.max(40, tasks / 1000.0);
      return new Options(
          redis, tasks, d, lease, workers, backlog, drain, reconcile, seed, keepLogs);
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }
  }

  /** A worker JVM: which slot it fills, its node id and its process. */
  private record Worker(int slot, String nodeId, Process process, Path log) {}

  private final Options options;
  private final List<String> timeline = new ArrayList<>();
  private final Map<String, Instant> kills = new ConcurrentHashMap<>();
  private final Worker[] workers = new Worker[NODES];
  private final int[] incarnations = new int[NODES];
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private ChaosServers servers;
  private PostgresTaskStore store;
  private long startNanos;
  private Instant startInstant;
  private Instant postgresRestartBegin;
  private Instant postgresRestartEnd;
  private int chaosErrors;

  private Chaos(Options options) {
    this.options = options;
  }

  /** For trying the harness alone: {@code Chaos <postgres-redis|postgres> [n] [options]}. */
  public static void main(String[] args) {
    if (args.length == 0) {
      System.err.println("usage: Chaos <postgres-redis|postgres> [n] [options]");
      System.exit(2);
    }
    System.exit(run(args[0], Arrays.copyOfRange(args, 1, args.length)));
  }

  /**
   * Runs the chaos scenario on {@code impl} ({@code postgres-redis} or {@code postgres}).
   *
   * @return 0 when every invariant held, 1 when one did not or the run failed, 2 for bad arguments
   */
  static int run(String impl, String[] args) {
    Options options;
    try {
      options = Options.parse(impl, args);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos: " + e.getMessage());
      System.err.println(
          "usage: <postgres-redis|postgres> chaos [n] [--duration S] [--lease S] [--workers N]"
              + " [--backlog N] [--drain S] [--reconcile S] [--seed N] [--keep-logs]");
      return 2;
    }
    Chaos chaos = new Chaos(options);
    Thread hook = new Thread(() -> chaos.cleanUp(true), "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean ok = false;
    try {
      ok = chaos.execute();
    } catch (Exception e) {
      System.out.println("chaos: the run failed: " + e);
      e.printStackTrace(System.out);
    } finally {
      chaos.cleanUp(!ok || options.keepLogs());
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
    return ok ? 0 : 1;
  }

  private boolean execute() throws Exception {
    long began = System.nanoTime();
    servers = ChaosServers.start(options.redis());
    System.out.println("chaos: " + servers.describe());
    store =
        PostgresTaskStore.builder()
            .jdbcUrl(servers.jdbcUrl(), null, null)
            .tablePrefix(TABLES)
            .maximumPoolSize(6)
            .build(); // migrates the schema before any worker starts
    closeables.add(store);
    TaskQueue queue =
        options.redis()
            ? RedisTaskQueue.builder().url(servers.redisUrl()).keyPrefix(KEYS).build()
            : PostgresWorkSource.of(store);
    closeables.add(0, queue);
    Orchestrator.Builder builder =
        Orchestrator.builder()
            .store(store)
            .queue(queue)
            .nodeId("submitter")
            // submits check that some node can run the type; this one never runs it
            .handler(ChaosWorker.TYPE, ChaosWorker::handle);
    if (options.redis()) {
      EventBus bus = RedisEventBus.builder().url(servers.redisUrl()).keyPrefix(KEYS).build();
      closeables.add(0, bus);
      builder.eventBus(bus);
    }
    Orchestrator submitting = builder.build(); // never started: it submits and cancels
    closeables.add(0, submitting);

    for (int slot = 0; slot < NODES; slot++) {
      workers[slot] = spawn(slot);
    }
    awaitNodes(submitting);
    System.out.printf(
        "chaos: %d tasks on %s, %d worker nodes x %d workers, lease %d s, submitting over >= %.0f s%n",
        options.tasks(),
        options.redis() ? "PostgreSQL + Redis" : "PostgreSQL",
        NODES,
        options.workers(),
        options.leaseSeconds(),
        options.durationSeconds());

    ChaosSubmitter submitter = new ChaosSubmitter(submitting, store, options.seed());
    closeables.add(0, submitter);
    startNanos = System.nanoTime();
    startInstant = Instant.now();
    AtomicReference<Throwable> submitFailure = new AtomicReference<>();
    Thread submission =
        new Thread(
            () -> {
              try {
                submitter.submitAll(
                    options.tasks(),
                    options.tasks() / options.durationSeconds(),
                    options.backlog(),
                    startNanos);
              } catch (Throwable t) {
                submitFailure.set(t);
              }
            },
            "chaos-submitter");
    submission.start();
    unleash(submission, submitter, submitFailure);
    submission.join();
    double submitSeconds = seconds();
    if (submitFailure.get() != null) {
      throw new IllegalStateException("submitting failed", submitFailure.get());
    }

    boolean drained = drain(submitter);
    double drainedAt = seconds();
    submitter.close();

    ChaosCheck check = new ChaosCheck(store.dataSource(), TABLES);
    ChaosCheck.Result r =
        check.check(
            new ChaosCheck.Run(
                submitter.submitted,
                submitter.cancelled,
                kills,
                postgresRestartBegin,
                postgresRestartEnd));
    diagnose(r, check, submitter, drained, submitSeconds, drainedAt);
    boolean ok = verdict(r);
    System.out.printf("chaos: %.1f s in all%n", (System.nanoTime() - began) / 1e9);
    return ok;
  }

  /**
   * Runs the chaos events while the submission goes on (and until every one-off event ran). A
   * one-off event is due at its fraction of the run: of the duration and of the tasks submitted
   * (the submission slows down when the workers fall behind, and the events follow it). It waits
   * until the last kill's orphans had their lease and 3 s more to move on, so that each recovery is
   * measured on its own rather than one outage's time added to another's.
   */
  private void unleash(
      Thread submission, ChaosSubmitter submitter, AtomicReference<Throwable> submitFailure)
      throws InterruptedException {
    double d = options.durationSeconds();
    List<double[]> oneOffs = new ArrayList<>(); // {fraction, kind}
    if (options.redis()) {
      oneOffs.add(new double[] {0.15, 0});
    }
    oneOffs.add(new double[] {0.45, 1});
    if (options.redis()) {
      oneOffs.add(new double[] {0.7, 2});
    }
    double killEvery = options.killEverySeconds();
    int nextKill = 1;
    int victim = 0;
    double settle = options.leaseSeconds() + 3;
    double lastKill = -settle;
    long nextProgress = startNanos + PROGRESS_EVERY_NANOS;
    while ((submission.isAlive() || !oneOffs.isEmpty()) && submitFailure.get() == null) {
      double now = seconds();
      double fraction = oneOffs.isEmpty() ? 2 : oneOffs.get(0)[0];
      boolean due =
          now >= fraction * d && submitter.submitted.size() >= fraction * options.tasks()
              || !oneOffs.isEmpty() && !submission.isAlive();
      if (due && now - lastKill >= settle) {
        int kind = (int) oneOffs.remove(0)[1];
        if (kind != 1) {
          afterNextBatch(submission, submitter); // Redis loses the hints just offered
        }
        switch (kind) {
          case 0 -> event("flush redis (FLUSHALL)", servers::flushRedis);
          case 1 -> restartPostgres();
          default ->
              event("restart redis (SIGKILL, start on the same port)", servers::restartRedis);
        }
      } else if (submission.isAlive() && now >= nextKill * killEvery) {
        nextKill++;
        kill(victim);
        lastKill = seconds();
        victim = (victim + 1) % NODES;
      } else {
        if (System.nanoTime() >= nextProgress) {
          progress(submitter);
          nextProgress += PROGRESS_EVERY_NANOS;
        }
        Thread.sleep(20);
      }
    }
  }

  /** Waits (at most 3 s) until the submitter has just written and offered a batch. */
  private static void afterNextBatch(Thread submission, ChaosSubmitter submitter)
      throws InterruptedException {
    int seen = submitter.submitted.size();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (submitter.submitted.size() == seen
        && submission.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  private void event(String what, Action action) {
    double at = seconds();
    try {
      action.run();
      note(at, what);
    } catch (Exception e) {
      chaosErrors++;
      note(at, what + " FAILED: " + e);
    }
  }

  private void restartPostgres() {
    double at = seconds();
    postgresRestartBegin = Instant.now();
    try {
      servers.restartPostgres();
      postgresRestartEnd = Instant.now();
      note(
          at,
          "restart postgres (pg_ctl restart -m immediate; back after %.1f s)"
              .formatted(
                  Duration.between(postgresRestartBegin, postgresRestartEnd).toMillis() / 1e3));
    } catch (IOException e) {
      postgresRestartEnd = Instant.now();
      chaosErrors++;
      note(at, "restart postgres FAILED: " + e);
    }
  }

  /** SIGKILLs the worker in the slot (it had tasks RUNNING, see the note) and starts a new one. */
  private void kill(int slot) {
    Worker w = workers[slot];
    // strike while the node holds tasks: at half its workers within 3 s, at one within 5 s
    long waitFrom = System.nanoTime();
    int running;
    while ((running = runningOn(w.nodeId())) < Math.max(1, options.workers() / 2)
        && System.nanoTime() - waitFrom < TimeUnit.SECONDS.toNanos(5)
        && !(running >= 1 && System.nanoTime() - waitFrom > TimeUnit.SECONDS.toNanos(3))) {
      pause(5);
    }
    double at = seconds();
    Instant when = Instant.now();
    w.process().destroyForcibly(); // SIGKILL on Linux
    int exit;
    try {
      if (!w.process().waitFor(10, TimeUnit.SECONDS)) {
        chaosErrors++;
        note(at, "kill worker-" + (slot + 1) + " FAILED: still alive after 10 s");
        return;
      }
      exit = w.process().exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    kills.put(w.nodeId(), when);
    String signal = exit == 128 + 9 ? "SIGKILL, exit 137" : "exit " + exit + ", NOT SIGKILL";
    if (exit != 137) {
      chaosErrors++;
    }
    try {
      workers[slot] = spawn(slot);
      note(
          at,
          "kill worker-%d (%s, %s running, %s), restarted as %s"
              .formatted(
                  slot + 1,
                  w.nodeId(),
                  running < 0 ? "?" : Integer.toString(running),
                  signal,
                  workers[slot].nodeId()));
    } catch (IOException e) {
      chaosErrors++;
      note(at, "kill worker-" + (slot + 1) + " (" + signal + "), restart FAILED: " + e);
    }
  }

  /** Tasks RUNNING under the node's lease now, or -1 when PostgreSQL cannot say. */
  private int runningOn(String nodeId) {
    try (Connection c = store.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM "
                    + TABLES
                    + "tasks WHERE status = 'RUNNING' AND lease_owner = ?")) {
      ps.setString(1, nodeId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (Exception e) {
      return -1;
    }
  }

  private Worker spawn(int slot) throws IOException {
    int incarnation = ++incarnations[slot];
    String nodeId = "worker-" + (slot + 1) + "." + incarnation;
    Path log = servers.logs().resolve(nodeId + ".log");
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command =
        List.of(
            java,
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            "-cp",
            System.getProperty("java.class.path"),
            ChaosWorker.class.getName(),
            servers.jdbcUrl(),
            options.redis() ? servers.redisUrl() : "-",
            TABLES,
            KEYS,
            nodeId,
            Integer.toString(options.leaseSeconds()),
            Integer.toString(options.workers()),
            Integer.toString(options.reconcileSeconds()));
    // standard input stays a pipe: the worker exits when it closes, that is when we are gone
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new Worker(slot, nodeId, p, log);
  }

  private void awaitNodes(Orchestrator submitting) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      List<String> alive = submitting.nodes().stream().map(n -> n.nodeId()).toList();
      if (Arrays.stream(workers).allMatch(w -> alive.contains(w.nodeId()))) {
        return;
      }
      for (Worker w : workers) {
        if (!w.process().isAlive()) {
          throw new IllegalStateException(
              w.nodeId() + " exited with " + w.process().exitValue() + "; see " + w.log());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the workers did not start within 90 s; see " + servers.logs());
      }
      Thread.sleep(100);
    }
  }

  /** Waits until every submitted task is terminal, or the drain time is over. */
  private boolean drain(ChaosSubmitter submitter) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (options.drainSeconds() * 1e9);
    long nextProgress = System.nanoTime() + PROGRESS_EVERY_NANOS;
    while (true) {
      int backlog = submitter.backlog();
      if (backlog == 0) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      if (System.nanoTime() >= nextProgress) {
        progress(submitter);
        nextProgress += PROGRESS_EVERY_NANOS;
      }
      Thread.sleep(200);
    }
  }

  private void progress(ChaosSubmitter submitter) {
    int backlog = submitter.backlog();
    System.out.printf(
        "chaos: t=%.1fs submitted=%d/%d not_terminal=%s cancels_waiting=%d%n",
        seconds(),
        submitter.submitted.size(),
        options.tasks(),
        backlog == Integer.MAX_VALUE ? "?" : Integer.toString(backlog),
        submitter.waitingCancels());
  }

  /** What the run did and saw, beyond the verdict: evidence for whoever reads a failure. */
  private void diagnose(
      ChaosCheck.Result r,
      ChaosCheck check,
      ChaosSubmitter submitter,
      boolean drained,
      double submitSeconds,
      double drainedAt)
      throws Exception {
    System.out.println("chaos timeline:");
    timeline.forEach(line -> System.out.println("  " + line));
    System.out.printf(
        "chaos: submitted in %.1f s (%d batch retries, %.1f s held back by the backlog), %s at t=%.1fs%n",
        submitSeconds,
        submitter.submitRetries.get(),
        submitter.backpressureMillis.get() / 1e3,
        drained ? "all terminal" : "NOT all terminal",
        drainedAt);
    Map<ChaosWorker.Role, Integer> roles = new java.util.EnumMap<>(ChaosWorker.Role.class);
    for (int i = 0; i < options.tasks(); i++) {
      roles.merge(ChaosWorker.role(ChaosWorker.prompt(options.seed(), i)), 1, Integer::sum);
    }
    System.out.println("chaos: planned roles " + roles);
    Map<String, Integer> offPlan = new java.util.TreeMap<>();
    submitter.submitted.forEach(
        (id, index) -> {
          ChaosWorker.Role role = ChaosWorker.role(ChaosWorker.prompt(options.seed(), index));
          String expected =
              switch (role) {
                case OK, RETRY -> "COMPLETED";
                case FATAL -> "FAILED";
                case CANCEL -> "CANCELLED";
              };
          String actual = r.status().getOrDefault(id, "absent");
          if (!actual.equals(expected)) {
            offPlan.merge(role.word() + "->" + actual, 1, Integer::sum);
          }
        });
    System.out.println(
        "chaos: final statuses "
            + (offPlan.isEmpty()
                ? "all as planned"
                : "off plan " + offPlan + " (attempts exhausted by kills, or see lost)"));
    System.out.printf(
        "chaos: cancels: %d calls returned CANCELLED, %d tasks cancelled while RUNNING (events),"
            + " %d planned cancels ended first%n",
        submitter.cancelled.size(), r.cancelledWhileRunning(), submitter.missedCancels.size());
    System.out.println("chaos: attempts by outcome " + r.attemptOutcomes());
    int leaseExpired = r.orphans().size();
    System.out.printf(
        "chaos: %d attempts LEASE_EXPIRED, by cause %s, worst recovery by cause %s%n",
        leaseExpired, r.orphansByCause(), format(r.worstByCause()));
    if (r.postgresFirstCompletion() != null) {
      System.out.printf(
          "chaos: first completion %.1f s after the PostgreSQL restart began%n",
          r.postgresFirstCompletion().toMillis() / 1e3);
    }
    if (!r.slowestWaits().isEmpty()) {
      ChaosCheck.Wait w = r.slowestWaits().get(0);
      System.out.printf(
          "chaos: longest wait QUEUED to claimed %s (task %s, attempt %d, queued at t=%.1fs)%n",
          format(w.waited()), w.taskId(), w.attempt(), at(w.queuedAt()));
      if (w.waited().compareTo(options.recoveryTarget()) > 0) {
        Map<String, Integer> byQueuedAt = new java.util.TreeMap<>();
        r.slowestWaits().stream()
            .filter(x -> x.waited().compareTo(options.recoveryTarget()) > 0)
            .forEach(x -> byQueuedAt.merge("t=%.1fs".formatted(at(x.queuedAt())), 1, Integer::sum));
        System.out.println(
            "chaos: WARNING: QUEUED tasks waited longer than lease + 5 s for a claim (hints the"
                + " queue lost, left to the reconciler every "
                + options.reconcileSeconds()
                + " s), by when they were queued: "
                + byQueuedAt
                + "; the longest one's events:");
        for (String line : check.history(w.taskId())) {
          System.out.println("    " + line);
        }
      }
    }
    if (r.extraRows() > 0) {
      System.out.println(
          "chaos: " + r.extraRows() + " task rows that the submitter never got back");
    }
    if (r.claimMismatches() > 0) {
      System.out.println(
          "chaos: "
              + r.claimMismatches()
              + " attempts were recorded by a node other than the one their claim event names");
    }
    if (!kills.isEmpty() && r.orphansByCause().getOrDefault(ChaosCheck.KILL, 0) == 0) {
      System.out.println("chaos: WARNING: no kill orphaned a running task");
    }
    int shown = 0;
    for (UUID id : r.lost()) {
      if (shown++ == 5) {
        break;
      }
      System.out.println(
          "chaos: lost task " + id + " (" + r.notTerminal().getOrDefault(id, "absent") + "):");
      for (String line : check.history(id)) {
        System.out.println("    " + line);
      }
    }
    for (UUID id : r.doubleCompleted().subList(0, Math.min(5, r.doubleCompleted().size()))) {
      System.out.println("chaos: double completed " + id + ": " + check.history(id));
    }
    for (UUID id :
        r.completedAfterCancel().subList(0, Math.min(5, r.completedAfterCancel().size()))) {
      System.out.println("chaos: completed after cancel " + id + ": " + check.history(id));
    }
    for (ChaosCheck.Orphan o : r.orphans()) {
      if (o.recovery() == null || o.recovery().compareTo(options.recoveryTarget()) > 0) {
        System.out.println(
            "chaos: slow recovery of "
                + o.taskId()
                + " attempt "
                + o.number()
                + " on "
                + o.worker()
                + " ("
                + o.cause()
                + "): "
                + (o.recovery() == null ? "never" : format(o.recovery())));
      }
    }
  }

  /** The CHAOS line, and whether it and the run are on target. */
  private boolean verdict(ChaosCheck.Result r) {
    Duration maxRecovery = r.maxRecovery();
    System.out.printf(
        "CHAOS submitted=%d completed=%d failed=%d cancelled=%d lost=%d double_completed=%d"
            + " completed_after_cancel=%d max_recovery_s=%.1f%n",
        r.submitted(),
        r.completed(),
        r.failed(),
        r.cancelled(),
        r.lost().size(),
        r.doubleCompleted().size(),
        r.completedAfterCancel().size(),
        maxRecovery.toMillis() / 1e3);
    List<String> problems = new ArrayList<>();
    if (r.submitted() != options.tasks()) {
      problems.add("submitted " + r.submitted() + " of " + options.tasks());
    }
    if (!r.lost().isEmpty()) {
      problems.add(r.lost().size() + " lost or not terminal");
    }
    if (!r.doubleCompleted().isEmpty()) {
      problems.add(r.doubleCompleted().size() + " completed twice");
    }
    if (!r.completedAfterCancel().isEmpty()) {
      problems.add(r.completedAfterCancel().size() + " completed after a cancel");
    }
    if (maxRecovery.compareTo(options.recoveryTarget()) > 0
        || r.orphans().stream().anyMatch(o -> o.recovery() == null)) {
      problems.add("recovery over " + options.recoveryTarget().toSeconds() + " s (lease + 5 s)");
    }
    if (chaosErrors > 0) {
      problems.add(chaosErrors + " chaos events failed");
    }
    if (problems.isEmpty()) {
      System.out.println("chaos: PASS");
      return true;
    }
    System.out.println("chaos: FAIL: " + String.join("; ", problems));
    System.out.println("chaos: logs kept in " + servers.logs());
    return false;
  }

  private static String format(Map<String, Duration> byCause) {
    StringBuilder s = new StringBuilder("{");
    byCause.forEach(
        (k, v) -> s.append(s.length() > 1 ? ", " : "").append(k).append('=').append(format(v)));
    return s.append('}').toString();
  }

  private static String format(Duration d) {
    return "%.1f s".formatted(d.toMillis() / 1e3);
  }

  private void note(double at, String what) {
    String line = "t=%.1fs %s".formatted(at, what);
    synchronized (timeline) {
      timeline.add(line);
    }
    System.out.println("chaos: " + line);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Seconds since the submission began of an instant of the run. */
  private double at(Instant instant) {
    return Duration.between(startInstant, instant).toMillis() / 1e3;
  }

  private double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Stops every worker and client, then the servers; keeps the logs when asked. */
  private void cleanUp(boolean keepLogs) {
    if (!cleanedUp.compareAndSet(false, true)) {
      return;
    }
    for (Worker w : workers) {
      if (w != null) {
        w.process().destroyForcibly();
      }
    }
    for (Worker w : workers) {
      if (w != null) {
        try {
          w.process().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // the servers go next anyway
      }
    }
    if (servers != null) {
      servers.close(keepLogs);
    }
  }
}

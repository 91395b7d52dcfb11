package dev.orchestrator.examples.benchmark;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.retry.FatalTaskException;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskContext;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * One worker node of a chaos run, in a JVM of its own that the harness kills with SIGKILL: an
 * orchestrator on the run's PostgreSQL (and Redis queue and event bus, when the run has Redis) that
 * runs the {@value #TYPE} handler until it dies. It exits by itself when its standard input closes
 * (the harness is gone), so no worker outlives its run.
 *
 * <p>What each task does is decided by the submitter, from the run's seed and the task's index, and
 * travels in the prompt ({@code "<role> <millis> <failures>"}), so every attempt of a task does the
 * same: sleeps its 0–20 ms, then
 *
 * <ul>
 *   <li>{@code ok} (92 %) returns;
 *   <li>{@code retry} (5 %) throws a retryable exception in its first 1 or 2 attempts, then
 *       returns;
 *   <li>{@code fatal} (1 %) throws {@link FatalTaskException} (the task FAILs at once);
 *   <li>{@code cancel} (2 %) waits up to {@link #CANCEL_WAIT} for the submitter to cancel it while
 *       it runs, and returns if nobody does.
 * </ul>
 */
public final class ChaosWorker {
  static final String TYPE = "chaos";

  /** How long a task the submitter means to cancel keeps running, waiting for the cancel. */
  static final Duration CANCEL_WAIT = Duration.ofSeconds(30);

  /** Attempt budget of every task: room for the planned failures and a few kills. */
  static final int MAX_ATTEMPTS = 5;

  /** What a task does. */
  enum Role {
    OK,
    RETRY,
    FATAL,
    CANCEL;

    String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private ChaosWorker() {}

  /** The prompt of task {@code index} of a run: its role, sleep and planned failures. */
  static String prompt(long seed, int index) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    double u = random.nextDouble();
    Role role = u < 0.05 ? Role.RETRY : u < 0.06 ? Role.FATAL : u < 0.08 ? Role.CANCEL : Role.OK;
    int millis = random.nextInt(21);
    int failures = role == Role.RETRY ? 1 + random.nextInt(2) : 0;
    return role.word() + " " + millis + " " + failures;
  }

  static Role role(String prompt) {
    return Role.valueOf(
        prompt.substring(0, prompt.indexOf(' ')).toUpperCase(java.util.Locale.ROOT));
  }

  /** The handler of {@value #TYPE} tasks. */
  static HandlerResult handle(TaskContext context) throws Exception {
    Task task = context.task();
    String[] plan = task.prompt().split(" ");
    Role role = role(task.prompt());
    Thread.sleep(Integer.parseInt(plan[1]));
    switch (role) {
      case RETRY -> {
        if (task.attempt() <= Integer.parseInt(plan[2])) {
          throw new IllegalStateException(
              "chaos: planned retryable failure of attempt " + task.attempt());
        }
      }
      case FATAL -> throw new FatalTaskException("chaos: planned fatal failure");
      case CANCEL -> {
        long end = System.nanoTime() + CANCEL_WAIT.toNanos();
        while (System.nanoTime() < end) {
          Thread.sleep(20); // the cancel interrupts it
          context.checkCancelled();
        }
        return HandlerResult.of("chaos: nobody cancelled attempt " + task.attempt());
      }
      case OK -> {}
    }
    return HandlerResult.of("chaos: done in attempt " + task.attempt());
  }

  /**
   * Runs a worker node until killed.
   *
   * @param args JDBC URL, Redis URL or {@code -}, table prefix, Redis key prefix, node id, lease
   *     seconds, workers, reconcile seconds
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      System.err.println(
          "usage: ChaosWorker <jdbc-url> <redis-url|-> <table-prefix> <key-prefix> <node-id>"
              + " <lease-s> <workers> <reconcile-s>");
      System.exit(2);
    }
    exitWhenStdinCloses();
    String jdbcUrl = args[0];
    String redisUrl = "-".equals(args[1]) ? null : args[1];
    String tablePrefix = args[2];
    String keyPrefix = args[3];
    String nodeId = args[4];
    Duration lease = Duration.ofSeconds(Long.parseLong(args[5]));
    int workers = Integer.parseInt(args[6]);
    Duration reconcile = Duration.ofSeconds(Long.parseLong(args[7]));

    PostgresTaskStore store = connect(jdbcUrl, tablePrefix);
    Orchestrator.Builder builder =
        Orchestrator.builder()
            .store(store)
            .nodeId(nodeId)
            .workers(workers)
            .leaseDuration(lease)
            .heartbeatInterval(Chaos.HEARTBEAT)
            .reaperInterval(Chaos.REAPER_INTERVAL)
            .reconcileInterval(reconcile)
            .reconcileAfter(reconcile)
            .handler(TYPE, ChaosWorker::handle);
    if (redisUrl != null) {
      builder
          .queue(RedisTaskQueue.builder().url(redisUrl).keyPrefix(keyPrefix).build())
          .eventBus(RedisEventBus.builder().url(redisUrl).keyPrefix(keyPrefix).build());
    } else {
      builder.queue(PostgresWorkSource.of(store));
    }
    builder.build().start();
    System.out.println("chaos worker " + nodeId + " started");
    Thread.sleep(Long.MAX_VALUE); // until SIGKILL, or stdin closes
  }

  /** The store, retrying while PostgreSQL is restarting (a worker restarted at that moment). */
  private static PostgresTaskStore connect(String jdbcUrl, String tablePrefix)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        return PostgresTaskStore.builder()
            .jdbcUrl(jdbcUrl, null, null)
            .tablePrefix(tablePrefix)
            .maximumPoolSize(8)
            .migrate(false) // the harness migrated
            .build();
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        System.out.println("chaos worker: PostgreSQL not reachable yet (" + e + "); retrying");
        Thread.sleep(250);
      }
    }
  }

  private static void exitWhenStdinCloses() {
    Thread watch =
        new Thread(
            () -> {
              try {
                while (System.in.read() != -1) {
                  // nothing is sent; EOF means the harness is gone
                }
              } catch (java.io.IOException e) {
                // same as EOF
              }
              Runtime.getRuntime().halt(3);
            },
            "chaos-parent-watch");
    watch.setDaemon(true);
    watch.start();
  }
}

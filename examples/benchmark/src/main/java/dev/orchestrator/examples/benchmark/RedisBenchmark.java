package dev.orchestrator.examples.benchmark;

import static dev.orchestrator.examples.benchmark.Workload.DEFAULT_URL;
import static dev.orchestrator.examples.benchmark.Workload.p50p99;
import static dev.orchestrator.examples.benchmark.Workload.print;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisRateLimiter;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskQueue;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import redis.clients.jedis.RedisClient;

/**
 * Measures what Redis adds to a cluster on PostgreSQL, with two nodes in one JVM (each with its own
 * pool, store and Redis clients, as two service instances would have):
 *
 * <ol>
 *   <li>submit-to-start across nodes: a task submitted on node A (which runs nothing), timed from
 *       the submit call to the first line of its handler on node B; with the Redis queue (with and
 *       without the Redis event bus, whose traffic shares the two cores) and with the PostgreSQL
 *       work source ({@code LISTEN/NOTIFY}), in the same run;
 *   <li>cross-node cancel: a task running on B cancelled through A, timed from the cancel call to
 *       the handler's interrupt (Redis event bus; without it B learns at its next heartbeat);
 *   <li>the rate limiter's accuracy: three limiters (three nodes) and 24 threads hammering one
 *       model limited to 50 requests a second, for 6 s.
 * </ol>
 *
 * <p>Run it with {@code ./mvnw -q -pl examples/benchmark -am compile exec:java
 * -Dexec.mainClass=dev.orchestrator.examples.benchmark.RedisBenchmark
 * -Dexec.args="jdbc:postgresql://127.0.0.1:5432/test?user=postgres redis://127.0.0.1:6379"}. It
 * works on tables prefixed {@code bench_redis_} (dropped after each phase) and Redis keys under a
 * fresh {@code bench:<random>:} prefix.
 */
public final class RedisBenchmark {
  private static final String TABLES = "bench_redis_";
  private static final int SAMPLES = 300;
  private static final int WARM_UP = 200;
  private static final int CANCELS = 100;
  private static final int LIMIT = 50;

  private final String jdbcUrl;
  private final String redisUrl;

  private RedisBenchmark(String jdbcUrl, String redisUrl) {
    this.jdbcUrl = jdbcUrl;
    this.redisUrl = redisUrl;
  }

  public static void main(String[] args) throws Exception {
    RedisBenchmark bench =
        new RedisBenchmark(
            args.length > 0 ? args[0] : DEFAULT_URL,
            args.length > 1 ? args[1] : "redis://127.0.0.1:6379");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"measure (2 nodes, PostgreSQL store)", "result"});
    rows.add(
        new String[] {
          "submit on A to start on B, Redis queue and bus (" + SAMPLES + ")",
          p50p99(bench.submitToStart(true, true))
        });
    rows.add(
        new String[] {
          "submit on A to start on B, Redis queue, no bus (" + SAMPLES + ")",
          p50p99(bench.submitToStart(true, false))
        });
    rows.add(
        new String[] {
          "submit on A to start on B, PostgreSQL work source, no bus (" + SAMPLES + ")",
          p50p99(bench.submitToStart(false, false))
        });
    rows.add(
        new String[] {
          "cancel on A to interrupt on B, Redis event bus (" + CANCELS + ")",
          p50p99(bench.crossNodeCancel())
        });
    rows.add(new String[] {"rate limiter, 3 nodes, " + LIMIT + " req/s", bench.limiterAccuracy()});
    print(rows);
  }

  /**
   * Two nodes on the same tables and key prefix, with the same handlers; A is never started (it
   * only submits and cancels), so every task runs on B.
   */
  private final class Pair implements AutoCloseable {
    final String keyPrefix = "bench:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    final List<AutoCloseable> parts = new ArrayList<>();
    final Orchestrator a;
    final Orchestrator b;

    /**
     * @param redisQueue the Redis queue, else the PostgreSQL work source
     * @param redisBus the Redis event bus, else each node's own in-memory bus
     */
    Pair(
        boolean redisQueue,
        boolean redisBus,
        Function<Orchestrator.Builder, Orchestrator.Builder> runner) {
      a = node("bench-a", redisQueue, redisBus, runner);
      b = node("bench-b", redisQueue, redisBus, runner);
      b.start();
    }

    private Orchestrator node(
        String id,
        boolean redisQueue,
        boolean redisBus,
        Function<Orchestrator.Builder, Orchestrator.Builder> configure) {
      PostgresTaskStore store =
          PostgresTaskStore.builder()
              .jdbcUrl(jdbcUrl, null, null)
              .maximumPoolSize(8)
              .tablePrefix(TABLES)
              .build();
      parts.add(store);
      TaskQueue queue =
          redisQueue
              ? RedisTaskQueue.builder().url(redisUrl).keyPrefix(keyPrefix).build()
              : PostgresWorkSource.of(store);
      parts.add(queue);
      Orchestrator.Builder builder =
          Orchestrator.builder().store(store).queue(queue).nodeId(id).workers(8);
      if (redisBus) {
        RedisEventBus bus = RedisEventBus.builder().url(redisUrl).keyPrefix(keyPrefix).build();
        parts.add(bus);
        builder.eventBus(bus);
        waitUntil(bus::isListening);
      }
      Orchestrator node = configure.apply(builder).build();
      parts.add(0, node);
      return node;
    }

    @Override
    public void close() throws Exception {
      for (AutoCloseable part : parts) {
        part.close();
      }
      try (RedisClient redis = RedisClient.create(redisUrl)) {
        redis.del(keyPrefix + "{queue}:ready", keyPrefix + "{queue}:marker");
      }
      try (PostgresTaskStore admin =
              PostgresTaskStore.builder().jdbcUrl(jdbcUrl, null, null).tablePrefix(TABLES).build();
          Connection c = admin.dataSource().getConnection();
          Statement s = c.createStatement()) {
        for (String table : dev.orchestrator.jdbc.SchemaMigrator.TABLES) {
          s.execute("DROP TABLE IF EXISTS " + TABLES + table);
        }
      }
    }
  }

  private long[] submitToStart(boolean redisQueue, boolean redisBus) throws Exception {
    BlockingQueue<Long> started = new ArrayBlockingQueue<>(1);
    try (Pair pair =
        new Pair(
            redisQueue,
            redisBus,
            b ->
                b.handler(
                    "bench",
                    context -> {
                      started.add(System.nanoTime());
                      return HandlerResult.of("ok");
                    }))) {
      long[] micros = new long[SAMPLES];
      for (int i = -WARM_UP; i < SAMPLES; i++) {
        long submitted = System.nanoTime();
        pair.a.submit(TaskSpec.prompt("start " + i).type("bench").build());
        Long at = started.poll(10, TimeUnit.SECONDS);
        if (at == null) {
          throw new IllegalStateException("task " + i + " did not start within 10 s");
        }
        if (i >= 0) {
          micros[i] = TimeUnit.NANOSECONDS.toMicros(at - submitted);
        }
      }
      return micros;
    }
  }

  private long[] crossNodeCancel() throws Exception {
    BlockingQueue<UUID> running = new ArrayBlockingQueue<>(1);
    BlockingQueue<Long> interrupted = new ArrayBlockingQueue<>(1);
    try (Pair pair =
        new Pair(
            true,
            true,
            b ->
                b.handler(
                    "block",
                    context -> {
                      running.add(context.task().id());
                      try {
                        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
                      } catch (InterruptedException e) {
                        interrupted.add(System.nanoTime());
                      }
                      return HandlerResult.of("stopped");
                    }))) {
      long[] micros = new long[CANCELS];
      for (int i = 0; i < CANCELS; i++) {
        pair.a.submit(TaskSpec.prompt("block " + i).type("block").build());
        UUID id = running.poll(10, TimeUnit.SECONDS);
        long cancelled = System.nanoTime();
        pair.a.cancel(id);
        Long at = interrupted.poll(10, TimeUnit.SECONDS);
        if (at == null) {
          throw new IllegalStateException("cancel " + i + " did not reach the handler in 10 s");
        }
        micros[i] = TimeUnit.NANOSECONDS.toMicros(at - cancelled);
      }
      return micros;
    }
  }

  private String limiterAccuracy() throws Exception {
    String keyPrefix = "bench:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    List<RedisRateLimiter> limiters = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      limiters.add(
          RedisRateLimiter.builder()
              .url(redisUrl)
              .keyPrefix(keyPrefix)
              .limit("model", LIMIT, 0)
              .build());
    }
    ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
    ExecutorService threads = Executors.newFixedThreadPool(24);
    CountDownLatch done = new CountDownLatch(24);
    for (int t = 0; t < 24; t++) {
      RedisRateLimiter limiter = limiters.get(t % 3);
      threads.execute(
          () -> {
            try {
              while (System.nanoTime() < end) {
                limiter.acquire("model", 1);
                starts.add(System.nanoTime());
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              done.countDown();
            }
          });
    }
    done.await();
    threads.shutdown();
    limiters.forEach(RedisRateLimiter::close);
    long[] sorted = starts.stream().mapToLong(Long::longValue).sorted().toArray();
    long second = TimeUnit.SECONDS.toNanos(1);
    int most = 0;
    for (int i = 0, j = 0; i < sorted.length; i++) {
      while (j < sorted.length && sorted[j] - sorted[i] < second) {
        j++;
      }
      most = Math.max(most, j - i);
    }
    long from = sorted[0] + second;
    long inFive = Arrays.stream(sorted).filter(s -> s >= from && s < from + 5 * second).count();
    return "%.1f req/s over 5 s, at most %d in any second".formatted(inFive / 5.0, most);
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the event bus did not subscribe within 10 s");
      }
      Workload.sleep(5);
    }
  }
}

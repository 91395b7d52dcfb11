package dev.orchestrator.examples.benchmark;

import static dev.orchestrator.examples.benchmark.Workload.POOL_SIZE;
import static dev.orchestrator.examples.benchmark.Workload.RUN_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.SCALE_NODES;
import static dev.orchestrator.examples.benchmark.Workload.deadline;
import static dev.orchestrator.examples.benchmark.Workload.millis;
import static dev.orchestrator.examples.benchmark.Workload.percentile;
import static dev.orchestrator.examples.benchmark.Workload.rate;
import static dev.orchestrator.examples.benchmark.Workload.seconds;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.jdbc.SchemaMigrator;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisRateLimiter;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskListener;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import javax.sql.DataSource;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The orchestrator as a system under test, on one of its stores:
 *
 * <ul>
 *   <li>{@code memory}: the embedded default, in-memory store, queue and event bus (one of each,
 *       shared by the nodes of a phase);
 *   <li>{@code postgres}: {@link PostgresTaskStore} and {@link PostgresWorkSource} ({@code
 *       LISTEN/NOTIFY}), each node with its own pool and its own in-memory event bus;
 *   <li>{@code postgres-redis}: {@link PostgresTaskStore} with {@link RedisTaskQueue} and {@link
 *       RedisEventBus}, each node with its own pool and Redis clients.
 * </ul>
 *
 * <p>No-op tasks are LLM tasks answered at once by {@link MockLlmClient} (latency zero), so the
 * figures are the orchestrator's own cost; {@code latency} and {@code io} run tasks of the type
 * {@code probe} ({@link Probe}). Tables are prefixed {@value #PREFIX}, dropped and migrated before
 * each phase and dropped after; Redis keys live under a fresh {@code bench:<random>:} prefix,
 * deleted after each phase.
 */
final class OrchestratorSubject implements Subject {
  static final String PREFIX = "bench_";
  private static final String PROBE = "probe";
  private static final String BLOCK = "block";
  private static final Duration CONNECT = Duration.ofSeconds(10);

  /** The store (and with it queue and event bus) under test, by its name on the command line. */
  enum Store {
    MEMORY("memory"),
    POSTGRES("postgres"),
    POSTGRES_REDIS("postgres-redis");

    final String id;

    Store(String id) {
      this.id = id;
    }

    static Store of(String id) {
      return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst().orElse(null);
    }
  }

  private final Store kind;
  private final Postgres pg;
  private final String redisUrl;
  private final LongAdder statements = new LongAdder();

  /** The {@code block} handler of {@code cancel}: which task runs, when it was interrupted. */
  private final BlockingQueue<UUID> blocking = new ArrayBlockingQueue<>(1);

  private final BlockingQueue<Long> interrupted = new ArrayBlockingQueue<>(1);

  OrchestratorSubject(Store kind, String jdbcUrl, String redisUrl) {
    this.kind = kind;
    this.pg = kind == Store.MEMORY ? null : new Postgres(jdbcUrl);
    this.redisUrl = redisUrl;
  }

  @Override
  public String impl() {
    return "orchestrator-" + kind.id;
  }

  @Override
  public String settings(int workers) {
    String tasks =
        "no-op tasks are LLM tasks on MockLlmClient (zero latency); latency/io run a typed handler";
    if (kind != Store.MEMORY) {
      // says which orchestrator-jdbc the jar holds (a stale snapshot from ~/.m2 would show here)
      tasks += "; schema " + SchemaMigrator.SCRIPTS.get(SchemaMigrator.SCRIPTS.size() - 1);
    }
    return switch (kind) {
      case MEMORY -> "in-memory store, queue and event bus (shared by a phase's nodes); " + tasks;
      case POSTGRES ->
          "PostgresTaskStore (pool of %d per node) + PostgresWorkSource (LISTEN/NOTIFY), each node's own in-memory event bus; %s"
              .formatted(POOL_SIZE, tasks);
      case POSTGRES_REDIS ->
          "PostgresTaskStore (pool of %d per node) + RedisTaskQueue + RedisEventBus; %s"
              .formatted(POOL_SIZE, tasks);
    };
  }

  @Override
  public Postgres postgres() {
    return pg;
  }

  @Override
  public LongAdder statements() {
    return statements;
  }

  @Override
  public String tables() {
    return "schemaname = current_schema() AND relname LIKE '" + PREFIX.replace("_", "\\_") + "%'";
  }

  @Override
  public void prepare() throws Exception {
    if (pg != null) {
      pg.freshTables(PREFIX);
    }
  }

  @Override
  public void drop() throws Exception {
    if (pg != null) {
      pg.dropTables(PREFIX);
    }
  }

  @Override
  public Cluster open(int runners, int workers, boolean submitter) throws Exception {
    return new Cluster(runners, workers, submitter);
  }

  /**
   * {@code scale}: the end-to-end run of {@code throughput} with 1, 2 and 4 started nodes on one
   * store (each its own pool and clients), all tasks submitted through the first; after one untimed
   * run on one node.
   */
  void scale(Report report, int n, int workers) throws Exception {
    int warmUp = Math.min(RUN_WARM_UP * 2, n);
    Scenarios.measure(
        this,
        1,
        workers,
        false,
        phase -> {
          Scenarios.submitAll(phase, Work.NOOP, 0, warmUp);
          phase.awaitDone(warmUp, deadline(warmUp));
          phase.check(warmUp, true);
          return null;
        });
    report.note("scale: " + warmUp + " tasks were run untimed on 1 node first");
    for (int nodes : SCALE_NODES) {
      Scenarios.Measured<Double> run =
          Scenarios.measure(
              this,
              nodes,
              workers,
              false,
              phase -> {
                long start = System.nanoTime();
                Scenarios.submitAll(phase, Work.NOOP, 0, n);
                long end = phase.awaitDone(n, deadline(n));
                phase.check(n, true);
                return n / seconds(start, end);
              });
      report.add(
          "end to end: %,d no-op tasks, %d node(s) x %d workers, submitted through the first"
              .formatted(n, nodes, workers),
          rate(run.value()),
          run.cost());
      report.result(n, workers + "x" + nodes, null, run.value(), null, null);
    }
  }

  /**
   * {@code cancel}: a task running on one node cancelled through another, from the cancel call to
   * the handler's interrupt. Needs an event bus that spans the nodes.
   */
  void cancel(Report report, int cancels, int workers) throws Exception {
    if (kind == Store.POSTGRES) {
      throw new Workload.NotApplicable(
          "not applicable: cancel on orchestrator-postgres (without a cluster-wide event bus a"
              + " cancel reaches another node at its heartbeat; try memory or postgres-redis)");
    }
    Scenarios.Measured<long[]> measured =
        Scenarios.measure(
            this,
            1,
            workers,
            true,
            phase -> {
              Cluster cluster = (Cluster) phase;
              long[] nanos = new long[cancels];
              for (int i = 0; i < cancels; i++) {
                cluster.submitter().submit(TaskSpec.prompt("block " + i).type(BLOCK).build());
                cluster.submitted++;
                UUID id = blocking.poll(10, TimeUnit.SECONDS);
                if (id == null) {
                  throw new Workload.Failed("task " + i + " did not start within 10 s");
                }
                long cancelled = System.nanoTime();
                cluster.submitter().cancel(id);
                Long at = interrupted.poll(10, TimeUnit.SECONDS);
                if (at == null) {
                  throw new Workload.Failed("cancel " + i + " did not reach the handler in 10 s");
                }
                nanos[i] = at - cancelled;
              }
              Workload.await(
                  "every task cancelled in the store",
                  deadline(cancels),
                  () -> cluster.counts().getOrDefault(TaskStatus.CANCELLED, 0L) == cancels);
              return nanos;
            });
    long[] nanos = measured.value();
    report.add(
        "cancel on a second node to the handler's interrupt, %d tasks".formatted(cancels),
        Workload.latencies(nanos),
        measured.cost());
    report.result(
        cancels,
        Integer.toString(workers),
        null,
        null,
        millis(percentile(nanos, 50)),
        millis(percentile(nanos, 99)));
  }

  /**
   * {@code ratelimit}: three Redis rate limiters (three nodes) and 24 threads taking permits of one
   * model limited to 50 requests a second, for 6 s; the rate over the last 5 s and the most in any
   * second.
   */
  void rateLimit(Report report) throws Exception {
    if (kind != Store.POSTGRES_REDIS) {
      throw new Workload.NotApplicable(
          "not applicable: ratelimit measures the Redis rate limiter: use postgres-redis");
    }
    int limit = 50;
    int threadCount = 24;
    String keyPrefix = "bench:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    List<RedisRateLimiter> limiters = new ArrayList<>();
    ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
    ExecutorService threads = Executors.newFixedThreadPool(threadCount);
    try {
      for (int n = 0; n < 3; n++) {
        limiters.add(
            RedisRateLimiter.builder()
                .url(redisUrl)
                .keyPrefix(keyPrefix)
                .limit("model", limit, 0)
                .build());
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      CountDownLatch done = new CountDownLatch(threadCount);
      for (int t = 0; t < threadCount; t++) {
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
      if (!done.await(30, TimeUnit.SECONDS)) {
        throw new Workload.Failed("the limiter's threads did not stop within 30 s");
      }
    } finally {
      threads.shutdownNow();
      limiters.forEach(RedisRateLimiter::close);
      deleteKeys(keyPrefix);
    }
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
    double perSecond = inFive / 5.0;
    report.add(
        "3 limiters (3 nodes), %d threads, one model limited to %d req/s, 6 s"
            .formatted(threadCount, limit),
        "%.1f req/s over the last 5 s, at most %d in any second".formatted(perSecond, most),
        null);
    report.note("ratelimit: RESULT's e2e_per_s is the permits a second over the last 5 s");
    report.result(sorted.length, Integer.toString(threadCount), null, perSecond, null, null);
  }

  private void deleteKeys(String keyPrefix) {
    try (RedisClient redis = RedisClient.create(redisUrl)) {
      ScanParams match = new ScanParams().match(keyPrefix + "*").count(1000);
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = redis.scan(cursor, match);
        if (!page.getResult().isEmpty()) {
          redis.del(page.getResult().toArray(String[]::new));
        }
        cursor = page.getCursor();
      } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    }
  }

  /** Completions heard by the listeners: each task once, whichever node heard it. */
  private static final class Completions implements TaskListener {
    private final Set<UUID> completed = ConcurrentHashMap.newKeySet();
    private volatile String failure;
    private long lastAt;

    @Override
    public void onEvent(TaskEvent e) {
      if (!e.isTransition()) {
        return;
      }
      if (e.to() == TaskStatus.COMPLETED) {
        if (completed.add(e.taskId())) {
          synchronized (this) {
            lastAt = System.nanoTime();
            notifyAll();
          }
        }
      } else if (e.to() == TaskStatus.FAILED) {
        failure = "task " + e.taskId() + " failed: " + e.reason();
        synchronized (this) {
          notifyAll();
        }
      }
    }

    synchronized long await(long count, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (completed.size() < count) {
        if (failure != null) {
          throw new Workload.Failed(failure);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new Workload.Failed(
              "timed out after %d s: %d of %d tasks completed"
                  .formatted(timeout.toSeconds(), completed.size(), count));
        }
        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
      return lastAt;
    }

    int count() {
      return completed.size();
    }
  }

  /**
   * The nodes of one phase: an optional submitting node that is never started, then the started
   * runners, each with its own store and pool, queue and event bus (in memory: one of each for
   * all). The listener that counts completions sits on every runner when their buses are their own,
   * on the first runner when one bus spans them.
   */
  final class Cluster implements Phase {
    private final String keyPrefix = "bench:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<Orchestrator> nodes = new ArrayList<>();
    private final Deque<AutoCloseable> parts = new ArrayDeque<>();
    private final Completions completions = new Completions();
    private final MockLlmClient llm = MockLlmClient.builder().latency(Duration.ZERO).build();
    private final Orchestrator submitter;
    private TaskStore firstStore;
    private InMemoryTaskStore memoryStore;
    private InMemoryTaskQueue memoryQueue;
    private InMemoryEventBus memoryBus;
    private long noops;
    private long probes;
    long submitted;

    Cluster(int runners, int workers, boolean ownSubmitter) throws Exception {
      try {
        if (kind == Store.MEMORY) {
          memoryStore = new InMemoryTaskStore();
          memoryQueue = new InMemoryTaskQueue();
          memoryBus = new InMemoryEventBus();
          parts.push(memoryStore);
          parts.push(memoryQueue);
          parts.push(memoryBus);
        }
        boolean sharedBus = kind != Store.POSTGRES;
        boolean idle = ownSubmitter || runners == 0;
        if (idle) {
          nodes.add(node("bench-submitter", workers, false));
        }
        for (int i = 0; i < runners; i++) {
          nodes.add(node("bench-" + i, workers, !sharedBus || i == 0));
        }
        nodes.subList(idle ? 1 : 0, nodes.size()).forEach(Orchestrator::start);
        submitter = nodes.get(0);
      } catch (Exception | Error e) {
        close();
        throw e;
      }
    }

    private Orchestrator node(String id, int workers, boolean listen) throws Exception {
      Orchestrator.Builder b =
          Orchestrator.builder()
              .llm(llm)
              .workers(workers)
              .nodeId(id)
              .handler(
                  PROBE,
                  context -> {
                    Probe.run(Integer.parseInt(context.task().prompt()));
                    return HandlerResult.of("ok");
                  })
              .handler(BLOCK, this::block);
      if (listen) {
        b.listener(completions);
      }
      if (kind == Store.MEMORY) {
        b.store(memoryStore).queue(memoryQueue).eventBus(memoryBus);
        firstStore = memoryStore;
      } else {
        HikariDataSource pool = pg.pool(POOL_SIZE, "bench-" + id);
        parts.push(pool);
        DataSource counted = CountingDataSource.wrap(pool, statements);
        PostgresTaskStore store =
            PostgresTaskStore.builder()
                .dataSource(counted)
                .tablePrefix(PREFIX)
                .migrate(false)
                .build();
        parts.push(store);
        firstStore = firstStore != null ? firstStore : store;
        TaskQueue queue;
        if (kind == Store.POSTGRES) {
          PostgresWorkSource source = PostgresWorkSource.of(store);
          parts.push(source);
          Workload.await("the work source to LISTEN", CONNECT, source::isListening);
          queue = source;
        } else {
          RedisTaskQueue redisQueue =
              RedisTaskQueue.builder().url(redisUrl).keyPrefix(keyPrefix).build();
          parts.push(redisQueue);
          RedisEventBus bus = RedisEventBus.builder().url(redisUrl).keyPrefix(keyPrefix).build();
          parts.push(bus);
          Workload.await("the Redis event bus to subscribe", CONNECT, bus::isListening);
          queue = redisQueue;
          b.eventBus(bus);
        }
        b.store(store).queue(queue);
      }
      return b.build();
    }

    private HandlerResult block(dev.orchestrator.spi.TaskContext context) {
      blocking.add(context.task().id());
      try {
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
      } catch (InterruptedException e) {
        interrupted.add(System.nanoTime());
      }
      return HandlerResult.of("stopped");
    }

    Orchestrator submitter() {
      return submitter;
    }

    @Override
    public void submit(Work work, int first, int count, String tenant) {
      List<TaskSpec> specs = new ArrayList<>(count);
      IntFunction<TaskSpec> spec = spec(work, tenant);
      for (int i = first; i < first + count; i++) {
        specs.add(spec.apply(i));
      }
      submitter.submitAll(specs);
      counted(work, count);
    }

    @Override
    public void submitOne(Work work, int n, String tenant) {
      submitter.submit(spec(work, tenant).apply(n));
      counted(work, 1);
    }

    private IntFunction<TaskSpec> spec(Work work, String tenant) {
      return work == Work.NOOP
          ? i -> TaskSpec.prompt("task " + i).owner(tenant).build()
          : i -> TaskSpec.prompt(Integer.toString(i)).type(PROBE).owner(tenant).build();
    }

    private void counted(Work work, int count) {
      submitted += count;
      if (work == Work.NOOP) {
        noops += count;
      } else {
        probes += count;
      }
    }

    @Override
    public long awaitDone(long count, Duration timeout) throws InterruptedException {
      return completions.await(count, timeout);
    }

    Map<TaskStatus, Long> counts() {
      return firstStore.countByStatus(null);
    }

    @Override
    public void check(long expected, boolean ran) {
      Map<TaskStatus, Long> counts = counts();
      long all = counts.values().stream().mapToLong(Long::longValue).sum();
      TaskStatus status = ran ? TaskStatus.COMPLETED : TaskStatus.QUEUED;
      if (all != expected || counts.getOrDefault(status, 0L) != expected) {
        throw new Workload.Failed(
            "the store holds %s for %d tasks submitted; all should be %s"
                .formatted(counts, expected, status));
      }
      if (ran) {
        if (completions.count() != expected) {
          throw new Workload.Failed(
              "listeners heard %d completions of %d tasks"
                  .formatted(completions.count(), expected));
        }
        if (llm.calls() != noops || Probe.runs() != probes) {
          throw new Workload.Failed(
              "handlers ran %d LLM calls for %d no-op tasks and %d probes for %d probe tasks"
                  .formatted(llm.calls(), noops, Probe.runs(), probes));
        }
      }
    }

    @Override
    public long submitted() {
      return submitted;
    }

    /** Stops the nodes, then closes their parts, newest first; deletes the Redis keys. */
    @Override
    public void close() {
      Exception first = null;
      for (int i = nodes.size() - 1; i >= 0; i--) {
        try {
          nodes.get(i).close();
        } catch (RuntimeException e) {
          first = first != null ? first : e;
        }
      }
      while (!parts.isEmpty()) {
        try {
          parts.pop().close();
        } catch (Exception e) {
          first = first != null ? first : e;
        }
      }
      if (kind == Store.POSTGRES_REDIS) {
        deleteKeys(keyPrefix);
      }
      if (first instanceof RuntimeException e) {
        throw e;
      } else if (first != null) {
        throw new IllegalStateException("closing the phase failed", first);
      }
    }
  }
}

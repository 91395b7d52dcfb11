package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Limits that hold across nodes, because every node reserves its calls in the same script. */
class RedisRateLimiterTest {
  private static final String MODEL = "shared-model";
  private static final int RPS = 20;

  private String prefix;
  private final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeEach
  void newPrefix() {
    prefix = RedisTestServer.newPrefix(getClass());
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(opened);
    for (AutoCloseable c : opened) {
      c.close();
    }
    RedisTestServer.deleteKeys(RedisTestServer.url(), prefix);
  }

  private RedisRateLimiter limiter(RedisRateLimiter.Builder b) {
    RedisRateLimiter limiter = b.url(RedisTestServer.url()).keyPrefix(prefix).build();
    opened.add(limiter);
    return limiter;
  }

  /** Three nodes, each with its own limiter on the shared keys; records when each call starts. */
  private List<Orchestrator> threeNodes(
      Supplier<RedisRateLimiter.Builder> limits, ConcurrentLinkedQueue<Long> starts) {
    List<Orchestrator> nodes = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      Orchestrator node =
          Orchestrator.builder()
              .store(new InMemoryTaskStore())
              .rateLimiter(limiter(limits.get()))
              .llm(
                  request -> {
                    starts.add(System.nanoTime());
                    // uses what it was estimated at, so settling changes nothing here
                    long out = request.maxOutputTokens() == null ? 0 : request.maxOutputTokens();
                    return new LlmResponse(
                        "ok",
                        request.model(),
                        request.estimatedInputTokens(),
                        out,
                        "STOP",
                        Duration.ZERO);
                  })
              .workers(8)
              .shutdownGrace(Duration.ofMillis(200))
              .nodeId("limited-" + n)
              .build()
              .start();
      opened.add(node);
      nodes.add(node);
    }
    return nodes;
  }

  @Test
  void anOrchestratorsCallsGiveBackTheTokensTheirEstimateReservedButDidNotUse() throws Exception {
    // each call reserves its prompt plus maxOutputTokens (about 2,000) but uses 10 tokens: without
    // giving the rest back, the fourth call of the minute would wait for the window to pass
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder().limit(MODEL, 100, 6_500));
    Orchestrator node =
        Orchestrator.builder()
            .store(new InMemoryTaskStore())
            .rateLimiter(limiter)
            .llm(request -> new LlmResponse("ok", request.model(), 5, 5, "STOP", Duration.ZERO))
            .workers(1)
            .build()
            .start();
    opened.add(node);
    for (int i = 0; i < 10; i++) {
      Task t =
          node.submit(TaskSpec.prompt("call " + i).model(MODEL).maxOutputTokens(2_000).build());
      assertEquals(
          TaskStatus.COMPLETED, node.await(t.id()).get(20, TimeUnit.SECONDS).status(), "call " + i);
    }
  }

  @Test
  void threeNodesTogetherNeverExceedTheLimitAndReachIt() throws Exception {
    ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
    List<Orchestrator> nodes =
        threeNodes(() -> RedisRateLimiter.builder().limit(MODEL, RPS, 10_000_000), starts);
    // 7.5 s of work at the limit: enough for a 5 s window after the first second
    List<CompletableFuture<Task>> done = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      Orchestrator node = nodes.get(i % 3);
      Task t = node.submit(TaskSpec.prompt("call " + i).model(MODEL).build());
      done.add(node.await(t.id()));
    }
    for (CompletableFuture<Task> f : done) {
      assertEquals(TaskStatus.COMPLETED, f.get(30, TimeUnit.SECONDS).status());
    }
    List<Long> sorted = new ArrayList<>(starts);
    Collections.sort(sorted);
    assertEquals(150, sorted.size());
    long second = TimeUnit.SECONDS.toNanos(1);
    // starts are stamped after each caller's sleep: allow 100 ms of wake-up jitter per window
    long window = second - TimeUnit.MILLISECONDS.toNanos(100);
    int most = 0;
    for (int i = 0; i < sorted.size(); i++) {
      int inWindow = 0;
      for (int j = i; j < sorted.size() && sorted.get(j) - sorted.get(i) < window; j++) {
        inWindow++;
      }
      most = Math.max(most, inWindow);
    }
    long from = sorted.get(0) + second;
    long to = from + 5 * second;
    long inFive = sorted.stream().filter(s -> s >= from && s < to).count();
    double rate = inFive / 5.0;
    System.out.printf(
        "rate limiter, 3 nodes, limit %d req/s: %.1f req/s over 5 s, at most %d in any 900 ms%n",
        RPS, rate, most);
    assertTrue(most <= RPS, "900 ms held " + most + " calls");
    assertTrue(Math.abs(rate - RPS) <= RPS * 0.1, "measured " + rate + " req/s");
  }

  @Test
  void threeNodesShareOneTokenBudget() throws Exception {
    ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
    // each call is estimated at 103 tokens (3 for the 9 characters of "budget NN", plus 100
    // output tokens): the minute's 2,060 tokens admit 20 calls, the other 10 wait for it to slide
    List<Orchestrator> nodes =
        threeNodes(() -> RedisRateLimiter.builder().limit(MODEL, 100, 2060), starts);
    for (int i = 0; i < 30; i++) {
      nodes
          .get(i % 3)
          .submit(TaskSpec.prompt("budget " + (10 + i)).model(MODEL).maxOutputTokens(100).build());
    }
    Waits.until("20 calls started", Duration.ofSeconds(10), () -> starts.size() >= 20);
    // the limiter holds the rest for a minute: over the next 2 s, none may start
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < until) {
      assertEquals(20, starts.size(), "calls started beyond the token budget");
      Thread.sleep(20);
    }
  }

  @Test
  void tokensUnusedByACallAreGivenBack() throws Exception {
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder().limit("t", 0, 1000));
    assertTrue(limiter.acquire("t", 600).toMillis() < 100);
    limiter.settle("t", 600, 100);
    // 100 used + 800 fits in the minute only because the 500 unused tokens came back
    assertTrue(limiter.acquire("t", 800).toMillis() < 100);
    // 900 + 600 does not fit: the call waits for the window to slide, about a minute
    assertWaitsUntilInterrupted(() -> limiter.acquire("t", 600));
  }

  @Test
  void tokensAboveTheEstimateAreCounted() throws Exception {
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder().limit("t", 0, 1000));
    limiter.acquire("t", 100);
    limiter.settle("t", 100, 700);
    assertWaitsUntilInterrupted(() -> limiter.acquire("t", 400));
  }

  @Test
  void anOwnerLimitHoldsBesideTheModelLimit() throws Exception {
    RedisRateLimiter limiter =
        limiter(RedisRateLimiter.builder().limit("o", 100, 0).ownerLimit("o", 2, 0));
    long begin = System.nanoTime();
    limiter.acquire("o", "alice", 1);
    limiter.acquire("o", "alice", 1);
    // another owner is not held back by alice's quota
    assertTrue(limiter.acquire("o", "bob", 1).toMillis() < 100);
    limiter.acquire("o", "alice", 1);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    assertTrue(millis >= 1000, "alice made 3 calls in " + millis + " ms at 2 a second");
  }

  @Test
  void aModelWithoutALimitNeverWaits() throws Exception {
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder().limit("other", 1, 0));
    for (int i = 0; i < 5; i++) {
      assertEquals(Duration.ZERO, limiter.acquire("free", 1_000_000));
    }
  }

  private interface Acquire {
    void run() throws InterruptedException;
  }

  /** The call blocks (sleeping, not spinning) and gives up when interrupted. */
  private static void assertWaitsUntilInterrupted(Acquire acquire) throws Exception {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread waiter =
        new Thread(
            () -> {
              try {
                acquire.run();
                outcome.complete(null);
              } catch (Throwable e) {
                outcome.complete(e);
              }
            });
    waiter.start();
    Waits.until(
        "the acquire sleeps",
        Duration.ofSeconds(5),
        () -> waiter.getState() == Thread.State.TIMED_WAITING || outcome.isDone());
    assertTrue(!outcome.isDone(), "the acquire did not wait");
    waiter.interrupt();
    Throwable thrown = outcome.get(5, TimeUnit.SECONDS);
    assertThrows(
        InterruptedException.class,
        () -> {
          throw thrown;
        });
  }
}

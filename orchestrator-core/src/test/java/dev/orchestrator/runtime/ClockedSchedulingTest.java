package dev.orchestrator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.ManualClock;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Scheduling and backoff on a controlled clock: time moves only when the test says so. */
class ClockedSchedulingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
  private Orchestrator orchestrator;

  private Orchestrator start(MockLlmClient llm, RetryPolicy retry) {
    orchestrator =
        Orchestrator.builder()
            .clock(clock)
            .llm(llm)
            .defaultRetryPolicy(retry)
            .pollInterval(Duration.ofMillis(20))
            .schedulerMaxIdle(Duration.ofMillis(10))
            .build()
            .start();
    return orchestrator;
  }

  @AfterEach
  void close() {
    orchestrator.close();
  }

  private Task status(Task t, TaskStatus status) {
    return Waits.value(
        t.id() + " " + status,
        WAIT,
        () -> orchestrator.get(t.id()).filter(x -> x.status() == status).orElse(null));
  }

  @Test
  void aScheduledTaskRunsOnlyOnceItsTimeComes() throws Exception {
    start(MockLlmClient.builder().build(), RetryPolicy.DEFAULT);
    Task later =
        orchestrator.submit(
            TaskSpec.prompt("at eleven").runAt(clock.now().plusSeconds(3600)).build());
    assertEquals(TaskStatus.SCHEDULED, later.status());
    // a task submitted after it, due now, runs to completion while the first still waits
    Task now = orchestrator.submit(TaskSpec.prompt("now").build());
    orchestrator.await(now.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TaskStatus.SCHEDULED, orchestrator.task(later.id()).status());
    clock.advance(Duration.ofMinutes(59));
    Task barrier = orchestrator.submit(TaskSpec.prompt("barrier").build());
    orchestrator.await(barrier.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TaskStatus.SCHEDULED, orchestrator.task(later.id()).status());
    clock.advance(Duration.ofMinutes(1));
    Task done = orchestrator.await(later.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertFalse(done.startedAt().isBefore(later.runAt()));
  }

  @Test
  void backoffGrowsWithFullJitterBetweenAttempts() throws Exception {
    RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), 2.0, Duration.ofSeconds(15));
    start(MockLlmClient.builder().failFirst("flaky", 3, ErrorKind.SERVER_ERROR).build(), policy);
    Task t = orchestrator.submit(TaskSpec.prompt("flaky").maxAttempts(4).build());
    Duration[] ceilings = {Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(15)};
    for (int attempt = 1; attempt <= 3; attempt++) {
      final int n = attempt;
      Task waiting =
          Waits.value(
              "attempt " + n + " failed",
              WAIT,
              () ->
                  orchestrator
                      .get(t.id())
                      .filter(
                          x ->
                              x.attempt() == n
                                  && (x.status() == TaskStatus.SCHEDULED
                                      || x.status() == TaskStatus.QUEUED))
                      .orElse(null));
      Duration delay = Duration.between(clock.now(), waiting.runAt());
      assertFalse(delay.isNegative(), "runAt in the past");
      assertTrue(
          delay.compareTo(ceilings[n - 1]) <= 0,
          "delay " + delay + " above the ceiling " + ceilings[n - 1]);
      clock.advance(delay);
    }
    Task done = orchestrator.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(4, done.attempt());
  }

  @Test
  void retryAfterFromTheProviderSetsTheNextRunExactly() throws Exception {
    start(
        MockLlmClient.builder()
            .failFirst("busy", 1, ErrorKind.RATE_LIMITED, Duration.ofSeconds(7))
            .build(),
        RetryPolicy.DEFAULT);
    Instant submitted = clock.now();
    Task t = orchestrator.submit(TaskSpec.prompt("busy model").build());
    Task waiting = status(t, TaskStatus.SCHEDULED);
    assertEquals(submitted.plusSeconds(7), waiting.runAt());
    assertEquals(ErrorKind.RATE_LIMITED, waiting.error().kind());
    clock.advance(Duration.ofSeconds(7));
    assertEquals(
        TaskStatus.COMPLETED,
        orchestrator.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).status());
  }
}

package dev.orchestrator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MicrometerMetricsRecorderTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MicrometerMetricsRecorder recorder = new MicrometerMetricsRecorder(registry);

  private static TaskEvent event(TaskStatus from, TaskStatus to) {
    return new TaskEvent(UUID.randomUUID(), from, to, Instant.now(), 1, "test", 1);
  }

  @Test
  void countsTransitionsByFromAndTo() {
    recorder.transition(event(null, TaskStatus.QUEUED));
    recorder.transition(event(TaskStatus.QUEUED, TaskStatus.RUNNING));
    recorder.transition(event(TaskStatus.QUEUED, TaskStatus.RUNNING));
    recorder.transition(event(TaskStatus.RUNNING, TaskStatus.RUNNING)); // a note: not counted

    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.TRANSITIONS)
            .tags("from", "none", "to", "QUEUED")
            .counter()
            .count());
    assertEquals(
        2,
        registry
            .get(MicrometerMetricsRecorder.TRANSITIONS)
            .tags("from", "QUEUED", "to", "RUNNING")
            .counter()
            .count());
    assertEquals(
        0,
        registry
            .find(MicrometerMetricsRecorder.TRANSITIONS)
            .tags("to", "RUNNING", "from", "RUNNING")
            .counters()
            .size());
  }

  @Test
  void timesQueueWaitRunTimeAndRateLimitWaits() {
    recorder.queueWait("llm", Duration.ofMillis(30));
    recorder.attempt("llm", AttemptOutcome.SUCCEEDED, Duration.ofMillis(200));
    recorder.attempt("llm", AttemptOutcome.RETRYABLE_FAILURE, Duration.ofMillis(100));
    recorder.attempt("llm", AttemptOutcome.SUCCEEDED, Duration.ofMillis(100));
    recorder.rateLimitWait("gpt", Duration.ofMillis(5));
    recorder.rateLimitWait(null, Duration.ZERO);

    assertEquals(
        30,
        registry
            .get(MicrometerMetricsRecorder.QUEUE_WAIT)
            .tag("type", "llm")
            .timer()
            .totalTime(TimeUnit.MILLISECONDS));
    var succeeded =
        registry
            .get(MicrometerMetricsRecorder.RUN_TIME)
            .tags("type", "llm", "outcome", "SUCCEEDED")
            .timer();
    assertEquals(2, succeeded.count());
    assertEquals(300, succeeded.totalTime(TimeUnit.MILLISECONDS));
    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.RUN_TIME)
            .tags("outcome", "RETRYABLE_FAILURE")
            .timer()
            .count());
    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.RATE_LIMIT_WAIT)
            .tag("model", "gpt")
            .timer()
            .count());
    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.RATE_LIMIT_WAIT)
            .tag("model", "none")
            .timer()
            .count());
  }

  @Test
  void countsTokensAndCostByModelAndOwner() {
    recorder.usage("gpt", "acme", new Usage(100, 20, new BigDecimal("0.0030")));
    recorder.usage("gpt", "acme", new Usage(50, 10, new BigDecimal("0.0015")));
    recorder.usage("llama", "other", new Usage(7, 3, BigDecimal.ZERO));

    assertEquals(150, tokens("gpt", "acme", "input"));
    assertEquals(30, tokens("gpt", "acme", "output"));
    assertEquals(7, tokens("llama", "other", "input"));
    assertEquals(
        0.0045,
        registry
            .get(MicrometerMetricsRecorder.COST)
            .tags("model", "gpt", "owner", "acme")
            .counter()
            .count(),
        1e-12);
  }

  private double tokens(String model, String owner, String direction) {
    return registry
        .get(MicrometerMetricsRecorder.TOKENS)
        .tags("model", model, "owner", owner, "direction", direction)
        .counter()
        .count();
  }

  @Test
  void gaugesTasksByStatusReadingTheCountsOncePerScrape() {
    AtomicInteger reads = new AtomicInteger();
    Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
    counts.put(TaskStatus.QUEUED, 4L);
    counts.put(TaskStatus.COMPLETED, 9L);
    recorder.bindStatusCounts(
        () -> {
          reads.incrementAndGet();
          return counts;
        });

    assertEquals(4, gauge(TaskStatus.QUEUED));
    assertEquals(9, gauge(TaskStatus.COMPLETED));
    assertEquals(0, gauge(TaskStatus.FAILED));
    assertEquals(1, reads.get());
    assertEquals(
        TaskStatus.values().length, registry.find(MicrometerMetricsRecorder.TASKS).gauges().size());
  }

  @Test
  void aFailingCountSourceGivesNoValue() {
    recorder.bindStatusCounts(
        () -> {
          throw new IllegalStateException("store down");
        });

    assertTrue(Double.isNaN(gauge(TaskStatus.QUEUED)));
  }

  private double gauge(TaskStatus status) {
    return registry
        .get(MicrometerMetricsRecorder.TASKS)
        .tag("status", status.name())
        .gauge()
        .value();
  }
}

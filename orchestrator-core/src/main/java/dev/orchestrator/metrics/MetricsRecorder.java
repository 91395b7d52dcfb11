package dev.orchestrator.metrics;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the runtime reports what it measures. {@link #NOOP} is the default; the Micrometer binding
 * is the only class that touches Micrometer, loaded only when a registry is given.
 */
public interface MetricsRecorder {
  /** Records nothing. */
  MetricsRecorder NOOP = new MetricsRecorder() {};

  /** A status change (not called for notes). */
  default void transition(TaskEvent event) {}

  /** Time a task spent QUEUED before a worker claimed it. */
  default void queueWait(String type, Duration wait) {}

  /** Wall time of one attempt and how it ended. */
  default void attempt(String type, AttemptOutcome outcome, Duration runTime) {}

  /** Tokens and cost of one LLM call. */
  default void usage(String model, String owner, Usage usage) {}

  /** Time a call waited for the model's rate limit. */
  default void rateLimitWait(String model, Duration wait) {}

  /** Gives the recorder a source of task counts by status, for gauges. */
  default void bindStatusCounts(Supplier<Map<TaskStatus, Long>> counts) {}
}

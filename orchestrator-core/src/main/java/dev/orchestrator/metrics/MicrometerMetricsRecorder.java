package dev.orchestrator.metrics;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reports the orchestrator's measurements to a Micrometer {@link MeterRegistry}. The only class of
 * the core that touches Micrometer; {@code micrometer-core} is an optional dependency.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@value #TRANSITIONS}</td><td>counter</td><td>from (or "none"), to</td></tr>
 *   <tr><td>{@value #QUEUE_WAIT}</td><td>timer</td><td>type</td></tr>
 *   <tr><td>{@value #RUN_TIME}</td><td>timer</td><td>type, outcome</td></tr>
 *   <tr><td>{@value #TOKENS}</td><td>counter</td><td>model, owner, direction (input, output)</td></tr>
 *   <tr><td>{@value #COST}</td><td>counter, US dollars</td><td>model, owner</td></tr>
 *   <tr><td>{@value #RATE_LIMIT_WAIT}</td><td>timer</td><td>model</td></tr>
 *   <tr><td>{@value #TASKS}</td><td>gauge</td><td>status</td></tr>
 * </table>
 *
 * <p>The owner tag has one value per tenant: with very many tenants, drop it with a Micrometer
 * {@code MeterFilter}.
 *
 * <pre>{@code
 * Orchestrator.builder().metrics(new MicrometerMetricsRecorder(meterRegistry)) ...
 * }</pre>
 */
public final class MicrometerMetricsRecorder implements MetricsRecorder {
  public static final String TRANSITIONS = "orchestrator.tasks.transitions";
  public static final String QUEUE_WAIT = "orchestrator.tasks.queue.wait";
  public static final String RUN_TIME = "orchestrator.tasks.run";
  public static final String TOKENS = "orchestrator.llm.tokens";
  public static final String COST = "orchestrator.llm.cost";
  public static final String RATE_LIMIT_WAIT = "orchestrator.llm.ratelimit.wait";
  public static final String TASKS = "orchestrator.tasks";

  /** How long one read of the status counts serves the gauges, so a scrape reads them once. */
  private static final long COUNTS_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final MeterRegistry registry;

  public MicrometerMetricsRecorder(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void transition(TaskEvent event) {
    if (!event.isTransition()) {
      return;
    }
    registry
        .counter(
            TRANSITIONS,
            "from",
            event.from() == null ? "none" : event.from().name(),
            "to",
            event.to().name())
        .increment();
  }

  @Override
  public void queueWait(String type, Duration wait) {
    Timer.builder(QUEUE_WAIT)
        .description("time tasks spent QUEUED before a worker claimed them")
        .tag("type", orNone(type))
        .register(registry)
        .record(wait);
  }

  @Override
  public void attempt(String type, AttemptOutcome outcome, Duration runTime) {
    Timer.builder(RUN_TIME)
        .description("wall time of attempts")
        .tag("type", orNone(type))
        .tag("outcome", outcome.name())
        .register(registry)
        .record(runTime);
  }

  @Override
  public void usage(String model, String owner, Usage usage) {
    String m = orNone(model);
    String o = orNone(owner);
    tokens(m, o, "input").increment(usage.inputTokens());
    tokens(m, o, "output").increment(usage.outputTokens());
    Counter.builder(COST)
        .description("cost of LLM calls")
        .baseUnit("usd")
        .tag("model", m)
        .tag("owner", o)
        .register(registry)
        .increment(usage.cost().doubleValue());
  }

  @Override
  public void rateLimitWait(String model, Duration wait) {
    Timer.builder(RATE_LIMIT_WAIT)
        .description("time calls waited for their model's rate limit")
        .tag("model", orNone(model))
        .register(registry)
        .record(wait);
  }

  @Override
  public void bindStatusCounts(Supplier<Map<TaskStatus, Long>> counts) {
    StatusCounts source = new StatusCounts(counts);
    for (TaskStatus status : TaskStatus.values()) {
      Gauge.builder(TASKS, source, s -> s.count(status))
          .description("tasks by status")
          .tag("status", status.name())
          .strongReference(true)
          .register(registry);
    }
  }

  private Counter tokens(String model, String owner, String direction) {
    return Counter.builder(TOKENS)
        .description("tokens of LLM calls")
        .baseUnit("tokens")
        .tag("model", model)
        .tag("owner", owner)
        .tag("direction", direction)
        .register(registry);
  }

  private static String orNone(String value) {
    return value == null ? "none" : value;
  }

  /** Reads the counts at most once a second, however many gauges ask. */
  private static final class StatusCounts {
    private final Supplier<Map<TaskStatus, Long>> source;
    private Map<TaskStatus, Long> last = Map.of();
    private long readAt;
    private boolean read;

    StatusCounts(Supplier<Map<TaskStatus, Long>> source) {
      this.source = source;
    }

    synchronized double count(TaskStatus status) {
      long now = System.nanoTime();
      if (!read || now - readAt >= COUNTS_TTL_NANOS) {
        try {
          Map<TaskStatus, Long> fresh = source.get();
          last = fresh == null ? Map.of() : fresh;
        } catch (RuntimeException e) {
          return Double.NaN; // the store is unreachable: no value rather than a wrong one
        }
        readAt = now;
        read = true;
      }
      Long n = last.get(status);
      return n == null ? 0 : n;
    }
  }
}

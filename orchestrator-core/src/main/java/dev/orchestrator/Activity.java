package dev.orchestrator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * Tasks that ended in one minute with one status and model, and what they spent: a row of the
 * throughput and cost history.
 *
 * @param minute the start of the minute they ended in
 * @param status COMPLETED or FAILED
 * @param model the model they asked for (null: the client's default, or no LLM call)
 * @param tasks how many
 * @param inputTokens their prompt tokens
 * @param outputTokens their completion tokens
 * @param cost their cost in US dollars
 */
public record Activity(
    Instant minute,
    TaskStatus status,
    String model,
    long tasks,
    long inputTokens,
    long outputTokens,
    BigDecimal cost) {
  public Activity {
    Objects.requireNonNull(minute, "minute");
    Objects.requireNonNull(status, "status");
    cost = cost == null ? BigDecimal.ZERO : cost;
  }
}

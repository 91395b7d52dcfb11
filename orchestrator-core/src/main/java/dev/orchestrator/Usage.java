package dev.orchestrator;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Tokens and cost of an attempt, or the sum over a task's attempts.
 *
 * @param inputTokens prompt tokens
 * @param outputTokens completion tokens
 * @param cost cost in US dollars, zero when no price is known
 */
public record Usage(long inputTokens, long outputTokens, BigDecimal cost) {
  /** Decimal places of a cost: hundred-millionths of a dollar, as the stores keep it. */
  public static final int COST_SCALE = 8;

  public static final Usage NONE = new Usage(0, 0, BigDecimal.ZERO);

  public Usage {
    if (inputTokens < 0 || outputTokens < 0) {
      throw new IllegalArgumentException("token counts must not be negative");
    }
    cost = (cost == null ? BigDecimal.ZERO : cost).setScale(COST_SCALE, RoundingMode.HALF_UP);
  }

  public Usage plus(Usage other) {
    return new Usage(
        inputTokens + other.inputTokens, outputTokens + other.outputTokens, cost.add(other.cost));
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}

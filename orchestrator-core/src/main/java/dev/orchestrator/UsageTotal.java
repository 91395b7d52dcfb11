package dev.orchestrator;

import java.math.BigDecimal;

/**
 * Tokens and cost summed over attempt records, for one owner and one model.
 *
 * @param owner the tenant
 * @param model the model the attempts reported (null: attempts that called no model)
 * @param attempts attempt records counted
 * @param inputTokens prompt tokens
 * @param outputTokens completion tokens
 * @param cost US dollars
 */
public record UsageTotal(
    String owner,
    String model,
    long attempts,
    long inputTokens,
    long outputTokens,
    BigDecimal cost) {}

package dev.orchestrator.llm;

import dev.orchestrator.Usage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Prices per model, in US dollars per million input and output tokens; turns token counts into
 * {@link Usage} with a cost. A model without a price costs zero. Immutable.
 *
 * <pre>{@code
 * PriceTable prices = PriceTable.builder()
 *     .price("gpt-4o-mini", new BigDecimal("0.15"), new BigDecimal("0.60"))
 *     .build();
 * }</pre>
 */
public final class PriceTable {
  /** No prices: every cost is zero. */
  public static final PriceTable NONE = new PriceTable(Map.of());

  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

  /**
   * The price of one model.
   *
   * @param inputPerMillion dollars per million prompt tokens
   * @param outputPerMillion dollars per million completion tokens
   */
  public record Price(BigDecimal inputPerMillion, BigDecimal outputPerMillion) {
    public Price {
      Objects.requireNonNull(inputPerMillion, "inputPerMillion");
      Objects.requireNonNull(outputPerMillion, "outputPerMillion");
      if (inputPerMillion.signum() < 0 || outputPerMillion.signum() < 0) {
        throw new IllegalArgumentException("prices must not be negative");
      }
    }
  }

  private final Map<String, Price> prices;

  private PriceTable(Map<String, Price> prices) {
    this.prices = Map.copyOf(prices);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The price of a model, or null when it has none. */
  public Price priceOf(String model) {
    return model == null ? null : prices.get(model);
  }

  /** Token counts of a call to {@code model}, with their cost. */
  public Usage usage(String model, long inputTokens, long outputTokens) {
    Price p = priceOf(model);
    if (p == null) {
      return new Usage(inputTokens, outputTokens, BigDecimal.ZERO);
    }
    BigDecimal cost =
        p.inputPerMillion()
            .multiply(BigDecimal.valueOf(inputTokens))
            .add(p.outputPerMillion().multiply(BigDecimal.valueOf(outputTokens)))
            .divide(MILLION, MathContext.DECIMAL64)
            .setScale(8, java.math.RoundingMode.HALF_UP);
    return new Usage(inputTokens, outputTokens, cost);
  }

  public Map<String, Price> prices() {
    return prices;
  }

  public static final class Builder {
    private final Map<String, Price> prices = new HashMap<>();

    public Builder price(String model, BigDecimal inputPerMillion, BigDecimal outputPerMillion) {
      prices.put(
          Objects.requireNonNull(model, "model"), new Price(inputPerMillion, outputPerMillion));
      return this;
    }

    public PriceTable build() {
      return new PriceTable(prices);
    }
  }
}

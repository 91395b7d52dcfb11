package dev.orchestrator.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the delay before attempt {@code n + 1} is drawn uniformly
 * from {@code [0, min(maxDelay, initialDelay * multiplier^(n-1))]}. A Retry-After sent by the
 * provider replaces the drawn delay (capped by {@code maxDelay}), since calling earlier would only
 * be refused again.
 *
 * @param initialDelay upper bound of the first delay
 * @param multiplier growth of the bound per attempt, at least 1
 * @param maxDelay ceiling of every delay
 */
public record RetryPolicy(Duration initialDelay, double multiplier, Duration maxDelay) {
  public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);
  public static final double DEFAULT_MULTIPLIER = 2.0;
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(5);

  /** One second, doubling, at most five minutes. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(DEFAULT_INITIAL_DELAY, DEFAULT_MULTIPLIER, DEFAULT_MAX_DELAY);

  public RetryPolicy {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (initialDelay.isNegative()) {
      throw new IllegalArgumentException("initialDelay must not be negative: " + initialDelay);
    }
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be at least initialDelay");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be a finite number >= 1: " + multiplier);
    }
  }

  /** A policy with a fixed upper bound: every delay drawn from {@code [0, delay]}. */
  public static RetryPolicy fixed(Duration delay) {
    return new RetryPolicy(delay, 1.0, delay);
  }

  /** The ceiling of the delay after the given failed attempt (1-based), before jitter. */
  public Duration ceiling(int failedAttempt) {
    double bound = initialDelay.toNanos() * Math.pow(multiplier, Math.max(0, failedAttempt - 1));
    long nanos = bound >= maxDelay.toNanos() ? maxDelay.toNanos() : (long) bound;
    return Duration.ofNanos(nanos);
  }

  /**
   * The delay before the next attempt.
   *
   * @param failedAttempt number of the attempt that just failed, from 1
   * @param retryAfter the provider's Retry-After, or null
   * @param random source of the jitter
   */
  public Duration delay(int failedAttempt, Duration retryAfter, RandomGenerator random) {
    if (retryAfter != null && !retryAfter.isNegative()) {
      return retryAfter.compareTo(maxDelay) > 0 ? maxDelay : retryAfter;
    }
    long ceiling = ceiling(failedAttempt).toNanos();
    return ceiling == 0 ? Duration.ZERO : Duration.ofNanos(random.nextLong(ceiling + 1));
  }
}

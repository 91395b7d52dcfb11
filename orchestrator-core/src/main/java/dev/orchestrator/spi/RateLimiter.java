package dev.orchestrator.spi;

import java.time.Duration;

/**
 * Limits calls per model: requests per second and tokens per minute. In memory per node, or
 * cluster-wide through Redis.
 */
public interface RateLimiter {
  /** A limiter that never waits. */
  RateLimiter UNLIMITED = (model, tokens) -> Duration.ZERO;

  /**
   * Blocks until a call to {@code model} estimated at {@code tokens} tokens may start.
   *
   * @return how long the caller waited
   * @throws InterruptedException when interrupted while waiting (cancel, timeout, shutdown)
   */
  Duration acquire(String model, long tokens) throws InterruptedException;

  /**
   * Blocks until a call of {@code owner}'s to {@code model} may start: the model's limits and, for
   * limiters that keep them, the owner's own share of them. By default the owner is not limited
   * apart from the model.
   *
   * @return how long the caller waited
   * @throws InterruptedException when interrupted while waiting
   */
  default Duration acquire(String model, String owner, long tokens) throws InterruptedException {
    return acquire(model, tokens);
  }

  /**
   * Tells the limiter how many tokens the call admitted by this thread's last {@code acquire} for
   * {@code model} really used, so an estimate that was too high gives the rest back (and one too
   * low is counted). By default nothing happens.
   *
   * @param reservedTokens the estimate passed to acquire
   * @param usedTokens input plus output tokens the call used
   */
  default void settle(String model, long reservedTokens, long usedTokens) {}
}

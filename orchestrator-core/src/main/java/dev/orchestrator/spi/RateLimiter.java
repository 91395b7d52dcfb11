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
}

package dev.orchestrator.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that moves only when told: for tests of backoff, scheduling and leases. Thread-safe. */
public final class ManualClock implements Clock {
  private final AtomicReference<Instant> now;

  public ManualClock(Instant start) {
    now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
  }

  /** A clock starting at the current wall-clock time. */
  public static ManualClock startingNow() {
    return new ManualClock(Instant.now());
  }

  @Override
  public Instant now() {
    return now.get();
  }

  public Instant advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + by);
    }
    return now.updateAndGet(t -> t.plus(by));
  }

  public void set(Instant value) {
    now.set(Objects.requireNonNull(value, "value"));
  }
}

package dev.orchestrator.spi;

import java.time.Instant;

/** Time as the orchestrator sees it; tests pass a {@code ManualClock}. */
@FunctionalInterface
public interface Clock {
  /** The wall clock. */
  Clock SYSTEM = Instant::now;

  Instant now();
}

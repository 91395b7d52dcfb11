package dev.orchestrator.spi;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Time as the orchestrator sees it; tests pass a {@code ManualClock}. */
@FunctionalInterface
public interface Clock {
  /** The wall clock, to the microsecond: the precision SQL timestamps keep. */
  Clock SYSTEM = () -> Instant.now().truncatedTo(ChronoUnit.MICROS);

  Instant now();
}

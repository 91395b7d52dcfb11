package dev.orchestrator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a schedule owes at a given moment, for a runtime that ticks now and then and runs one task
 * per fire time.
 *
 * <p>The runtime keeps one instant per schedule, {@code since}: the schedule's creation time until
 * it first fires, then the last fire time it handled. Fire times are counted strictly after {@code
 * since}, so a schedule created exactly at a fire time does not run for it. On each tick:
 *
 * <ol>
 *   <li>{@link #due} tells which fire time, if any, to run a task for now; run it and store it as
 *       the new {@code since}.
 *   <li>When {@code due} is empty but {@link #latest} is not, {@link MisfirePolicy#SKIP} dropped
 *       that fire time for being late. Storing it as the new {@code since} records the skip;
 *       keeping the old {@code since} is just as correct. Never store a future fire time there: it
 *       would then not run.
 *   <li>The next tick is needed at {@code recurrence.next(now)}.
 * </ol>
 *
 * Both methods cost at most about a hundred {@link Recurrence#next} calls for a year of downtime,
 * however many fire times were missed: they halve the span instead of stepping through it.
 */
public final class FireTimes {
  private FireTimes() {}

  /**
   * The fire time to run a task for at {@code now}, if any.
   *
   * <ul>
   *   <li>{@link MisfirePolicy#RUN_ONCE}: the latest fire time in {@code (since, now]}, however
   *       late it is; the earlier ones in that span are covered by it.
   *   <li>{@link MisfirePolicy#SKIP}: the same fire time, but only while it is on time, that is
   *       {@code now - fire <= grace}; otherwise none.
   * </ul>
   *
   * @param since the last fire time handled, or the creation time of a schedule that never fired
   * @param now the current time
   * @param grace how late a fire time may run under {@link MisfirePolicy#SKIP}; not negative,
   *     ignored by {@link MisfirePolicy#RUN_ONCE}
   */
  public static Optional<Instant> due(
      Recurrence recurrence, Instant since, Instant now, MisfirePolicy policy, Duration grace) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative: " + grace);
    }
    Optional<Instant> latest = latest(recurrence, since, now);
    return switch (policy) {
      case RUN_ONCE -> latest;
      case SKIP -> latest.filter(fire -> Duration.between(fire, now).compareTo(grace) <= 0);
    };
  }

  /**
   * The latest fire time in {@code (since, now]}, if any: what a tick at {@code now} has handled,
   * whether {@link #due} ran it or dropped it.
   *
   * @param since the last fire time handled, or the creation time of a schedule that never fired
   * @param now the current time
   */
  public static Optional<Instant> latest(Recurrence recurrence, Instant since, Instant now) {
    Objects.requireNonNull(recurrence, "recurrence");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(now, "now");
    Instant best = recurrence.next(since);
    if (best.isAfter(now)) {
      return Optional.empty();
    }
    // best is a fire time <= now, and no fire time lies in (bound, now]; halve the span between
    // them until no fire time follows best up to now
    Instant bound = now;
    while (true) {
      if (recurrence.next(best).isAfter(now)) {
        return Optional.of(best);
      }
      Instant middle = best.plus(Duration.between(best, bound).dividedBy(2));
      Instant fire = recurrence.next(middle);
      if (fire.isAfter(now)) {
        bound = middle;
      } else {
        best = fire;
      }
    }
  }
}

package dev.orchestrator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

/**
 * When a schedule fires: a {@link Cron} expression on the wall clock of a zone, or a fixed
 * interval. Immutable and thread-safe.
 */
public sealed interface Recurrence
    permits Recurrence.CronRecurrence, Recurrence.IntervalRecurrence {
  /** The shortest interval allowed. */
  Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /** The longest interval allowed, ten years and a bit. */
  Duration MAX_INTERVAL = Duration.ofDays(3660);

  /**
   * A cron expression on the wall clock of a zone.
   *
   * @throws InvalidScheduleException if the expression does not parse or never fires
   */
  static CronRecurrence cron(String expression, ZoneId zone) {
    return new CronRecurrence(Cron.parse(expression), zone);
  }

  /**
   * Every {@code interval}, at whole multiples of it since the epoch: {@code every(PT10S)} fires at
   * seconds 0, 10, 20 and so on of each minute.
   *
   * @throws InvalidScheduleException if the interval is shorter than {@link #MIN_INTERVAL} or
   *     longer than {@link #MAX_INTERVAL}
   */
  static IntervalRecurrence every(Duration interval) {
    return new IntervalRecurrence(interval, Instant.EPOCH);
  }

  /**
   * Every {@code interval} at {@code anchor + k * interval}, for every integer k.
   *
   * @throws InvalidScheduleException if the interval is shorter than {@link #MIN_INTERVAL} or
   *     longer than {@link #MAX_INTERVAL}
   */
  static IntervalRecurrence every(Duration interval, Instant anchor) {
    return new IntervalRecurrence(interval, anchor);
  }

  /** The first fire time strictly after {@code after}. */
  Instant next(Instant after);

  /** For display: {@code "cron 0 9 * * MON-FRI Europe/Berlin"}, {@code "every PT10S"}. */
  String describe();

  /**
   * A cron expression on the wall clock of a zone; see {@link Cron} for daylight saving time.
   *
   * @param cron the expression
   * @param zone the zone whose wall clock the expression reads
   */
  record CronRecurrence(Cron cron, ZoneId zone) implements Recurrence {
    public CronRecurrence {
      Objects.requireNonNull(cron, "cron");
      Objects.requireNonNull(zone, "zone");
    }

    @Override
    public Instant next(Instant after) {
      return cron.next(after, zone);
    }

    @Override
    public String describe() {
      return "cron " + cron + " " + zone.getId();
    }
  }

  /**
   * Fire times {@code anchor + k * interval}, for every integer k.
   *
   * @param interval from {@link #MIN_INTERVAL} to {@link #MAX_INTERVAL}
   * @param anchor one of the fire times
   */
  record IntervalRecurrence(Duration interval, Instant anchor) implements Recurrence {
    public IntervalRecurrence {
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(anchor, "anchor");
      if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
        throw new InvalidScheduleException(
            "interval " + interval + " is out of range " + MIN_INTERVAL + "-" + MAX_INTERVAL);
      }
    }

    @Override
    public Instant next(Instant after) {
      Duration sinceAnchor = Duration.between(anchor, after);
      long k = sinceAnchor.dividedBy(interval); // rounded toward zero
      Instant fire = anchor.plus(interval.multipliedBy(k));
      return fire.isAfter(after) ? fire : fire.plus(interval);
    }

    /**
     * {@code "every PT10S"}, followed by {@code " from "} and the anchor unless it is the epoch.
     */
    @Override
    public String describe() {
      return "every " + interval + (anchor.equals(Instant.EPOCH) ? "" : " from " + anchor);
    }
  }
}

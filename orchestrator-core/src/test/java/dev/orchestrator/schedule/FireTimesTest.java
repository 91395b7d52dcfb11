package dev.orchestrator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FireTimesTest {
  private static final Recurrence TEN_MINUTES = Recurrence.every(Duration.ofMinutes(10));
  private static final Duration GRACE = Duration.ofMinutes(1);

  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  private static Optional<Instant> runOnce(Recurrence r, String since, String now) {
    return FireTimes.due(r, at(since), at(now), MisfirePolicy.RUN_ONCE, GRACE);
  }

  private static Optional<Instant> skip(Recurrence r, String since, String now) {
    return FireTimes.due(r, at(since), at(now), MisfirePolicy.SKIP, GRACE);
  }

  @Test
  void nothingIsDueBeforeTheNextFireTime() {
    assertEquals(
        Optional.empty(), runOnce(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T10:09:59Z"));
    assertEquals(
        Optional.empty(), skip(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T10:09:59Z"));
  }

  @Test
  void aFireTimeIsDueFromItsInstantOn() {
    Optional<Instant> ten = Optional.of(at("2024-01-01T10:10:00Z"));
    assertEquals(ten, runOnce(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T10:10:00Z"));
    assertEquals(ten, skip(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T10:10:00Z"));
  }

  @Test
  void theLastFireTimeHandledIsNotDueAgain() {
    assertEquals(
        Optional.empty(), runOnce(TEN_MINUTES, "2024-01-01T10:10:00Z", "2024-01-01T10:10:00Z"));
  }

  @Test
  void aNewScheduleFiresFirstAfterItsCreation() {
    // created at 09:55: the first fire time is 10:00
    assertEquals(
        Optional.of(at("2024-01-01T10:00:00Z")),
        runOnce(TEN_MINUTES, "2024-01-01T09:55:00Z", "2024-01-01T10:00:30Z"));
    // created exactly at a fire time: that one is not owed
    assertEquals(
        Optional.empty(), runOnce(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T10:05:00Z"));
  }

  @Test
  void runOnceRunsTheLatestMissedFireTimeHoweverLate() {
    assertEquals(
        Optional.of(at("2024-01-01T12:30:00Z")),
        runOnce(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T12:34:00Z"));
    assertEquals(
        Optional.of(at("2024-03-01T00:00:00Z")),
        runOnce(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-03-01T00:09:59Z"));
  }

  @Test
  void skipRunsTheLatestFireTimeWhileItIsOnTime() {
    assertEquals(
        Optional.of(at("2024-01-01T12:30:00Z")),
        skip(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T12:30:59Z"));
    assertEquals(
        Optional.of(at("2024-01-01T12:30:00Z")),
        skip(TEN_MINUTES, "2024-01-01T10:00:00Z", "2024-01-01T12:31:00Z"));
  }

  @Test
  void skipDropsALateFireTimeAndWaitsForTheNextOne() {
    Instant since = at("2024-01-01T10:00:00Z");
    Instant now = at("2024-01-01T12:31:00.001Z");
    assertEquals(
        Optional.empty(), FireTimes.due(TEN_MINUTES, since, now, MisfirePolicy.SKIP, GRACE));
    // what the tick handled, to record as the new since, and when to look again
    Optional<Instant> dropped = FireTimes.latest(TEN_MINUTES, since, now);
    assertEquals(Optional.of(at("2024-01-01T12:30:00Z")), dropped);
    assertEquals(at("2024-01-01T12:40:00Z"), TEN_MINUTES.next(now));
    // the next one runs on time, whether the skip was recorded or not
    Instant later = at("2024-01-01T12:40:10Z");
    Optional<Instant> expected = Optional.of(at("2024-01-01T12:40:00Z"));
    assertEquals(
        expected, FireTimes.due(TEN_MINUTES, dropped.get(), later, MisfirePolicy.SKIP, GRACE));
    assertEquals(expected, FireTimes.due(TEN_MINUTES, since, later, MisfirePolicy.SKIP, GRACE));
  }

  @Test
  void skipWithNoGraceRunsOnlyAtTheFireTimeItself() {
    Instant since = at("2024-01-01T10:00:00Z");
    assertEquals(
        Optional.of(at("2024-01-01T10:10:00Z")),
        FireTimes.due(
            TEN_MINUTES, since, at("2024-01-01T10:10:00Z"), MisfirePolicy.SKIP, Duration.ZERO));
    assertEquals(
        Optional.empty(),
        FireTimes.due(
            TEN_MINUTES,
            since,
            at("2024-01-01T10:10:00.000000001Z"),
            MisfirePolicy.SKIP,
            Duration.ZERO));
  }

  @Test
  void latestIsEmptyWhenNothingPassed() {
    assertEquals(
        Optional.empty(),
        FireTimes.latest(TEN_MINUTES, at("2024-01-01T10:00:00Z"), at("2024-01-01T10:00:00Z")));
    // a clock that went back behind since
    assertEquals(
        Optional.empty(),
        FireTimes.latest(TEN_MINUTES, at("2024-01-01T10:00:00Z"), at("2024-01-01T09:00:00Z")));
  }

  @Test
  void cronMisfiresAcrossADaylightSavingGap() {
    Recurrence r = Recurrence.cron("30 2 * * *", ZoneId.of("Europe/Berlin"));
    // down from the 29th's fire time to the 1st of April at noon: the latest was the 1st at 02:30
    assertEquals(
        Optional.of(at("2024-04-01T00:30:00Z")),
        runOnce(r, "2024-03-29T01:30:00Z", "2024-04-01T10:00:00Z"));
    // the fire time the gap moved to 03:00 CEST
    assertEquals(
        Optional.of(at("2024-03-31T01:00:00Z")),
        skip(r, "2024-03-30T01:30:00Z", "2024-03-31T01:00:30Z"));
  }

  @Test
  void aLongDowntimeOfAFrequentScheduleIsCheapToCatchUp() {
    Recurrence everySecond = Recurrence.cron("* * * * * *", ZoneOffset.UTC);
    Recurrence weekdays = Recurrence.cron("*/5 9-17 * * MON-FRI", ZoneId.of("America/New_York"));
    assertTimeout(
        Duration.ofSeconds(5),
        () -> {
          for (int i = 0; i < 100; i++) {
            assertEquals(
                Optional.of(at("2025-01-01T00:00:00Z")),
                runOnce(everySecond, "2020-01-01T00:00:00Z", "2025-01-01T00:00:00.5Z"));
            // Friday 2024-12-27 17:55 EST
            assertEquals(
                Optional.of(at("2024-12-27T22:55:00Z")),
                runOnce(weekdays, "2020-01-01T00:00:00Z", "2024-12-29T12:00:00Z"));
          }
        });
  }

  @Test
  void aNegativeGraceIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            FireTimes.due(
                TEN_MINUTES,
                Instant.EPOCH,
                Instant.EPOCH,
                MisfirePolicy.SKIP,
                Duration.ofSeconds(-1)));
  }
}

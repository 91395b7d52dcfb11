package dev.orchestrator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** next() for common expressions, calendar edges, daylight saving time and odd zones. */
class CronNextTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final ZoneId LORD_HOWE = ZoneId.of("Australia/Lord_Howe");

  /** The first {@code count} fire times after {@code after} in {@code zone}. */
  private static List<String> fires(String expression, ZoneId zone, String after, int count) {
    Cron cron = Cron.parse(expression);
    List<String> fires = new ArrayList<>();
    Instant t = Instant.parse(after);
    for (int i = 0; i < count; i++) {
      t = cron.next(t, zone);
      fires.add(t.toString());
    }
    return fires;
  }

  @Test
  void nextIsStrictlyAfter() {
    Cron cron = Cron.parse("0 9 * * *");
    Instant nine = Instant.parse("2024-01-01T09:00:00Z");
    assertEquals(Instant.parse("2024-01-02T09:00:00Z"), cron.next(nine, ZoneOffset.UTC));
    assertEquals(nine, cron.next(nine.minusNanos(1), ZoneOffset.UTC));
  }

  @Test
  void weekdayMorningsInAZone() {
    // 2024-01-05 is a Friday; Berlin is UTC+1 in winter
    assertEquals(
        List.of("2024-01-05T08:00:00Z", "2024-01-08T08:00:00Z", "2024-01-09T08:00:00Z"),
        fires("0 9 * * MON-FRI", BERLIN, "2024-01-05T07:00:00Z", 3));
  }

  @Test
  void everyFifteenMinutesAcrossMidnightAndTheYearEnd() {
    assertEquals(
        List.of("2023-12-31T23:45:00Z", "2024-01-01T00:00:00Z", "2024-01-01T00:15:00Z"),
        fires("*/15 * * * *", ZoneOffset.UTC, "2023-12-31T23:30:00Z", 3));
  }

  @Test
  void theThirtyFirstSkipsShortMonths() {
    assertEquals(
        List.of(
            "2024-01-31T00:00:00Z",
            "2024-03-31T00:00:00Z",
            "2024-05-31T00:00:00Z",
            "2024-07-31T00:00:00Z",
            "2024-08-31T00:00:00Z"),
        fires("0 0 31 * *", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 5));
  }

  @Test
  void theThirtiethSkipsFebruary() {
    assertEquals(
        List.of("2024-01-30T00:00:00Z", "2024-03-30T00:00:00Z"),
        fires("0 0 30 * *", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void februaryTheTwentyNinthWaitsForALeapYear() {
    assertEquals(
        List.of("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"),
        fires("0 0 29 2 *", ZoneOffset.UTC, "2024-02-29T00:00:00Z", 2));
    // 2100 is not a leap year: eight years between the two
    assertEquals(
        List.of("2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z"),
        fires("0 0 29 2 *", ZoneOffset.UTC, "2095-01-01T00:00:00Z", 2));
    assertEquals(
        List.of("2000-02-29T00:00:00Z"),
        fires("0 0 29 2 *", ZoneOffset.UTC, "1997-01-01T00:00:00Z", 1));
  }

  @Test
  void lastDaysOfFebruaryInLeapAndCommonYears() {
    assertEquals(
        List.of("2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z", "2025-02-28T00:00:00Z"),
        fires("0 0 28,29 2 *", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 3));
  }

  @Test
  void bothDayFieldsRestrictedMatchEitherOfThem() {
    // the 13th, and every Friday: 2024-01-05, 12 and 19 are Fridays, the 13th a Saturday
    assertEquals(
        List.of(
            "2024-01-05T00:00:00Z",
            "2024-01-12T00:00:00Z",
            "2024-01-13T00:00:00Z",
            "2024-01-19T00:00:00Z"),
        fires("0 0 13 * FRI", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 4));
    // the first of the month, and every Monday (2024-04-01 is a Monday, listed once)
    assertEquals(
        List.of(
            "2024-03-25T00:00:00Z",
            "2024-04-01T00:00:00Z",
            "2024-04-08T00:00:00Z",
            "2024-04-15T00:00:00Z"),
        fires("0 0 1 * MON", ZoneOffset.UTC, "2024-03-24T00:00:00Z", 4));
  }

  @Test
  void aSteppedDayOfMonthIsRestrictedToo() {
    // odd days, and Mondays: 2024-01-01 (Mon), 3, 5, 7, 8 (Mon), 9
    assertEquals(
        List.of(
            "2024-01-01T00:00:00Z",
            "2024-01-03T00:00:00Z",
            "2024-01-05T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-08T00:00:00Z",
            "2024-01-09T00:00:00Z"),
        fires("0 0 */2 * MON", ZoneOffset.UTC, "2023-12-31T12:00:00Z", 6));
  }

  @Test
  void oneRestrictedDayFieldAloneDecides() {
    assertEquals(
        List.of("2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"),
        fires("0 0 13 * *", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 2));
    assertEquals(
        List.of("2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z"),
        fires("0 0 ? * FRI", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void secondsFieldFiresWithinTheMinute() {
    assertEquals(
        List.of(
            "2024-01-01T00:00:45Z",
            "2024-01-01T00:01:15Z",
            "2024-01-01T00:01:45Z",
            "2024-01-01T00:02:15Z"),
        fires("15,45 * * * * *", ZoneOffset.UTC, "2024-01-01T00:00:30Z", 4));
    assertEquals(
        List.of("2024-01-01T23:59:59Z", "2024-01-02T23:59:59Z"),
        fires("59 59 23 * * *", ZoneOffset.UTC, "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void macrosInAZone() {
    assertEquals(
        List.of("2024-12-31T23:00:00Z", "2025-12-31T23:00:00Z"),
        fires("@yearly", BERLIN, "2024-06-01T00:00:00Z", 2));
    assertEquals(
        List.of("2024-06-01T04:00:00Z", "2024-07-01T04:00:00Z"),
        fires("@monthly", NEW_YORK, "2024-05-15T00:00:00Z", 2));
  }

  @Test
  void aFixedOffsetZone() {
    ZoneOffset india = ZoneOffset.ofHoursMinutes(5, 30);
    assertEquals(
        List.of("2024-03-31T03:30:00Z", "2024-04-01T03:30:00Z"),
        fires("0 9 * * *", india, "2024-03-30T12:00:00Z", 2));
    assertEquals(
        List.of("2024-03-30T23:45:00Z", "2024-03-31T00:00:00Z"),
        fires("*/15 * * * *", ZoneOffset.ofHours(-14), "2024-03-30T23:30:00Z", 2));
  }

  // Europe/Berlin: 2024-03-31 02:00 CET -> 03:00 CEST (01:00Z); 2024-10-27 03:00 CEST -> 02:00 CET
  // (01:00Z), so 02:00-02:59 occurs at 00:00Z-00:59Z and again at 01:00Z-01:59Z.

  @Test
  void berlinAFixedTimeInTheSpringGapFiresAtTheEndOfTheGap() {
    assertEquals(
        List.of("2024-03-30T01:30:00Z", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"),
        fires("30 2 * * *", BERLIN, "2024-03-29T12:00:00Z", 3));
  }

  @Test
  void berlinSeveralTimesInTheSpringGapFireOnce() {
    assertEquals(
        List.of("2024-03-30T01:45:00Z", "2024-03-31T01:00:00Z", "2024-04-01T00:00:00Z"),
        fires("*/15 2 * * *", BERLIN, "2024-03-30T01:40:00Z", 3));
  }

  @Test
  void berlinEveryFifteenMinutesKeepsElapsedTimeThroughTheSpringGap() {
    assertEquals(
        List.of(
            "2024-03-31T00:45:00Z", // 01:45 CET
            "2024-03-31T01:00:00Z", // 03:00 CEST, also 02:00-02:45, which do not exist
            "2024-03-31T01:15:00Z"),
        fires("0 */15 * * * *", BERLIN, "2024-03-31T00:30:00Z", 3));
  }

  @Test
  void berlinAnHourlyExpressionOffTheHourCatchesUpTheSkippedTimeAtTheEndOfTheGap() {
    assertEquals(
        List.of(
            "2024-03-31T00:30:00Z", // 01:30 CET
            "2024-03-31T01:00:00Z", // 02:30, skipped by the gap
            "2024-03-31T01:30:00Z"), // 03:30 CEST
        fires("30 * * * *", BERLIN, "2024-03-31T00:00:00Z", 3));
  }

  @Test
  void berlinAFixedTimeInTheAutumnOverlapFiresOnceAtItsFirstOccurrence() {
    assertEquals(
        List.of("2024-10-26T00:30:00Z", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"),
        fires("30 2 * * *", BERLIN, "2024-10-25T12:00:00Z", 3));
    // asked from within the second occurrence, it waits for the next day
    assertEquals(
        List.of("2024-10-28T01:30:00Z"), fires("30 2 * * *", BERLIN, "2024-10-27T01:10:00Z", 1));
  }

  @Test
  void berlinFixedHoursWithMinuteStepsFireTheRepeatedHourOnce() {
    assertEquals(
        List.of(
            "2024-10-27T00:00:00Z",
            "2024-10-27T00:15:00Z",
            "2024-10-27T00:30:00Z",
            "2024-10-27T00:45:00Z",
            "2024-10-28T01:00:00Z"),
        fires("*/15 2 * * *", BERLIN, "2024-10-26T22:00:00Z", 5));
    // 2-3: after 02:45 CEST comes 03:00 CET, 75 minutes later
    assertEquals(
        List.of("2024-10-27T00:45:00Z", "2024-10-27T02:00:00Z"),
        fires("*/15 2-3 * * *", BERLIN, "2024-10-27T00:40:00Z", 2));
  }

  @Test
  void berlinEveryFifteenMinutesKeepsElapsedTimeThroughTheAutumnOverlap() {
    List<String> expected = new ArrayList<>();
    for (Instant t = Instant.parse("2024-10-26T23:45:00Z");
        t.isBefore(Instant.parse("2024-10-27T02:30:00Z"));
        t = t.plus(Duration.ofMinutes(15))) {
      expected.add(t.toString());
    }
    assertEquals(
        expected, fires("0 */15 * * * *", BERLIN, "2024-10-26T23:30:00Z", expected.size()));
    assertEquals(expected, fires("*/15 * * * *", BERLIN, "2024-10-26T23:30:00Z", expected.size()));
  }

  @Test
  void berlinHourlyFiresEveryRealHourThroughTheOverlap() {
    assertEquals(
        List.of(
            "2024-10-27T00:00:00Z", // 02:00 CEST
            "2024-10-27T01:00:00Z", // 02:00 CET
            "2024-10-27T02:00:00Z"), // 03:00 CET
        fires("@hourly", BERLIN, "2024-10-26T23:30:00Z", 3));
  }

  // America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z); 2024-11-03 02:00 EDT -> 01:00 EST
  // (06:00Z), so 01:00-01:59 occurs at 05:00Z-05:59Z and again at 06:00Z-06:59Z.

  @Test
  void newYorkAFixedTimeInTheSpringGapFiresAtTheEndOfTheGap() {
    assertEquals(
        List.of("2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"),
        fires("30 2 * * *", NEW_YORK, "2024-03-09T00:00:00Z", 3));
  }

  @Test
  void newYorkAFixedTimeInTheAutumnOverlapFiresOnce() {
    assertEquals(
        List.of("2024-11-02T05:30:00Z", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"),
        fires("30 1 * * *", NEW_YORK, "2024-11-02T00:00:00Z", 3));
  }

  @Test
  void newYorkEveryFifteenMinutesThroughBothTransitions() {
    assertEquals(
        List.of(
            "2024-03-10T06:45:00Z", // 01:45 EST
            "2024-03-10T07:00:00Z", // 03:00 EDT
            "2024-03-10T07:15:00Z"),
        fires("*/15 * * * *", NEW_YORK, "2024-03-10T06:30:00Z", 3));
    assertEquals(
        List.of(
            "2024-11-03T05:45:00Z", // 01:45 EDT
            "2024-11-03T06:00:00Z", // 01:00 EST
            "2024-11-03T06:15:00Z",
            "2024-11-03T06:30:00Z",
            "2024-11-03T06:45:00Z",
            "2024-11-03T07:00:00Z"), // 02:00 EST
        fires("0 */15 * * * *", NEW_YORK, "2024-11-03T05:30:00Z", 6));
  }

  // Australia/Lord_Howe moves by half an hour: 2024-04-07 02:00 (+11) -> 01:30 (+10:30) at 15:00Z
  // on the 6th; 2024-10-06 02:00 (+10:30) -> 02:30 (+11) at 15:30Z on the 5th.

  @Test
  void lordHoweHalfHourGap() {
    assertEquals(
        List.of("2024-10-05T15:30:00Z", "2024-10-06T15:15:00Z"),
        fires("15 2 * * *", LORD_HOWE, "2024-10-05T00:00:00Z", 2));
    assertEquals(
        List.of("2024-10-05T15:45:00Z"), fires("45 2 * * *", LORD_HOWE, "2024-10-05T00:00:00Z", 1));
    assertEquals(
        List.of(
            "2024-10-05T15:15:00Z", // 01:45 +10:30
            "2024-10-05T15:30:00Z", // 02:30 +11, also 02:00 and 02:15, which do not exist
            "2024-10-05T15:45:00Z"), // 02:45 +11
        fires("*/15 * * * *", LORD_HOWE, "2024-10-05T15:00:00Z", 3));
  }

  @Test
  void lordHoweHalfHourOverlap() {
    assertEquals(
        List.of("2024-04-06T14:45:00Z", "2024-04-07T15:15:00Z"),
        fires("45 1 * * *", LORD_HOWE, "2024-04-06T12:00:00Z", 2));
    assertEquals(
        List.of(
            "2024-04-06T14:30:00Z", // 01:30 +11
            "2024-04-06T14:45:00Z", // 01:45 +11
            "2024-04-06T15:00:00Z", // 01:30 +10:30
            "2024-04-06T15:15:00Z", // 01:45 +10:30
            "2024-04-06T15:30:00Z"), // 02:00 +10:30
        fires("*/15 * * * *", LORD_HOWE, "2024-04-06T14:15:00Z", 5));
  }

  @Test
  void aGapAtMidnightMovesADailyFireToOneOClock() {
    // Sao Paulo, 2018-11-04: 00:00 (-03) -> 01:00 (-02) at 03:00Z
    ZoneId saoPaulo = ZoneId.of("America/Sao_Paulo");
    assertEquals(
        List.of("2018-11-03T03:00:00Z", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"),
        fires("@daily", saoPaulo, "2018-11-02T12:00:00Z", 3));
  }

  @Test
  void aYearlyExpressionIsFoundWithoutSteppingThroughTheYear() {
    Cron yearly = Cron.parse("@yearly");
    Cron leap = Cron.parse("0 0 29 2 *");
    assertTimeout(
        Duration.ofSeconds(10),
        () -> {
          Instant t = Instant.parse("2000-01-01T00:00:00Z");
          for (int i = 0; i < 20_000; i++) {
            t = yearly.next(t, BERLIN);
            leap.next(t, NEW_YORK);
          }
          assertEquals(Instant.parse("+21999-12-31T23:00:00Z"), t);
        });
  }

  @Test
  void beyondTheLastRepresentableYearThereIsNoNextTime() {
    assertThrows(
        DateTimeException.class,
        () -> Cron.parse("@yearly").next(Instant.parse("+999999999-06-01T00:00:00Z"), BERLIN));
  }
}

package dev.orchestrator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecurrenceTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  @Test
  void cronReadsTheWallClockOfItsZone() {
    Recurrence r = Recurrence.cron("0 9 * * MON-FRI", BERLIN);
    assertEquals(at("2024-07-01T07:00:00Z"), r.next(at("2024-06-28T07:00:00Z")));
    assertEquals(new Recurrence.CronRecurrence(Cron.parse("0 9 * * MON-FRI"), BERLIN), r);
  }

  @Test
  void aBadCronExpressionIsRefused() {
    assertThrows(InvalidScheduleException.class, () -> Recurrence.cron("0 25 * * *", BERLIN));
  }

  @Test
  void anIntervalFiresAtWholeMultiplesSinceTheEpoch() {
    Recurrence r = Recurrence.every(Duration.ofSeconds(10));
    assertEquals(at("2024-01-01T00:00:10Z"), r.next(at("2024-01-01T00:00:05Z")));
    assertEquals(at("2024-01-01T00:00:20Z"), r.next(at("2024-01-01T00:00:10Z")));
    assertEquals(at("2024-01-01T00:00:10Z"), r.next(at("2024-01-01T00:00:09.999999999Z")));
  }

  @Test
  void anIntervalFiresAtWholeMultiplesFromItsAnchor() {
    Instant anchor = at("2024-01-01T00:30:00Z");
    Recurrence r = Recurrence.every(Duration.ofHours(1), anchor);
    assertEquals(at("2024-06-01T10:30:00Z"), r.next(at("2024-06-01T10:00:00Z")));
    assertEquals(anchor, r.next(anchor.minusNanos(1)));
    assertEquals(anchor.plus(Duration.ofHours(1)), r.next(anchor));
    // before the anchor too
    assertEquals(at("2023-12-31T23:30:00Z"), r.next(at("2023-12-31T23:00:00Z")));
    assertEquals(at("2023-12-31T22:30:00Z"), r.next(at("2023-12-31T21:30:00Z")));
    assertEquals(at("1969-12-31T23:30:00Z"), r.next(at("1969-12-31T22:45:00Z")));
  }

  @Test
  void anIntervalWithAFractionOfASecond() {
    Recurrence r = Recurrence.every(Duration.ofMillis(1500));
    assertEquals(at("1970-01-01T00:00:04.500Z"), r.next(at("1970-01-01T00:00:03Z")));
    assertEquals(at("1969-12-31T23:59:58.500Z"), r.next(at("1969-12-31T23:59:58Z")));
  }

  @Test
  void anIntervalIgnoresDaylightSavingTime() {
    Recurrence r = Recurrence.every(Duration.ofHours(1));
    assertEquals(at("2024-03-31T02:00:00Z"), r.next(at("2024-03-31T01:00:00Z")));
  }

  @Test
  void intervalBounds() {
    Recurrence.every(Recurrence.MIN_INTERVAL);
    Recurrence.every(Duration.ofDays(3660));
    assertEquals(Duration.ofDays(3660), Recurrence.MAX_INTERVAL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0S", "PT0.999S", "PT-10S", "PT87841H"})
  void anIntervalOutOfRangeIsRefused(String interval) {
    InvalidScheduleException e =
        assertThrows(
            InvalidScheduleException.class, () -> Recurrence.every(Duration.parse(interval)));
    assertEquals(
        "interval " + Duration.parse(interval) + " is out of range PT1S-PT87840H", e.getMessage());
  }

  @Test
  void describe() {
    assertEquals(
        "cron 0 9 * * MON-FRI Europe/Berlin",
        Recurrence.cron("0 9 * * MON-FRI", BERLIN).describe());
    assertEquals("cron @daily UTC", Recurrence.cron("@daily", ZoneId.of("UTC")).describe());
    assertEquals("every PT10S", Recurrence.every(Duration.ofSeconds(10)).describe());
    assertEquals(
        "every PT1H from 2024-01-01T00:30:00Z",
        Recurrence.every(Duration.ofHours(1), at("2024-01-01T00:30:00Z")).describe());
  }
}

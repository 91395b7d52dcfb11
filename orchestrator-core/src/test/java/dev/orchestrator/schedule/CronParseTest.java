package dev.orchestrator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.OrchestratorException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every syntax form, read back through the fire times it produces (in UTC), and every error. */
class CronParseTest {
  /** The first {@code count} fire times after {@code after}, in UTC. */
  static List<String> fires(String expression, String after, int count) {
    Cron cron = Cron.parse(expression);
    List<String> fires = new ArrayList<>();
    Instant t = Instant.parse(after);
    for (int i = 0; i < count; i++) {
      t = cron.next(t, ZoneOffset.UTC);
      fires.add(t.toString());
    }
    return fires;
  }

  @Test
  void everyMinute() {
    assertEquals(
        List.of("2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z", "2024-01-01T00:03:00Z"),
        fires("* * * * *", "2024-01-01T00:00:00Z", 3));
  }

  @Test
  void singleValuesInEveryField() {
    assertEquals(
        List.of("2024-07-04T09:30:00Z", "2025-07-04T09:30:00Z"),
        fires("30 9 4 7 *", "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void lists() {
    assertEquals(
        List.of("2024-01-01T00:01:00Z", "2024-01-01T00:05:00Z", "2024-01-01T00:09:00Z"),
        fires("1,5,9 * * * *", "2024-01-01T00:00:00Z", 3));
    assertEquals("2024-01-01T01:01:00Z", fires("1,5,9 * * * *", "2024-01-01T00:09:00Z", 1).get(0));
  }

  @Test
  void ranges() {
    assertEquals(
        List.of(
            "2024-01-01T01:00:00Z",
            "2024-01-01T02:00:00Z",
            "2024-01-01T03:00:00Z",
            "2024-01-02T01:00:00Z"),
        fires("0 1-3 * * *", "2024-01-01T00:00:00Z", 4));
  }

  @Test
  void stepsOverTheWholeField() {
    assertEquals(
        List.of(
            "2024-01-01T00:15:00Z",
            "2024-01-01T00:30:00Z",
            "2024-01-01T00:45:00Z",
            "2024-01-01T01:00:00Z"),
        fires("*/15 * * * *", "2024-01-01T00:00:00Z", 4));
  }

  @Test
  void stepsOverARange() {
    assertEquals(
        List.of("2024-01-01T00:10:00Z", "2024-01-01T00:15:00Z", "2024-01-01T00:20:00Z"),
        fires("10-40/5 * * * *", "2024-01-01T00:00:00Z", 3));
    assertEquals(
        "2024-01-01T01:10:00Z", fires("10-40/5 * * * *", "2024-01-01T00:40:00Z", 1).get(0));
  }

  @Test
  void stepsFromAStartToTheEndOfTheField() {
    assertEquals(
        List.of(
            "2024-01-01T00:05:00Z",
            "2024-01-01T00:15:00Z",
            "2024-01-01T00:25:00Z",
            "2024-01-01T00:35:00Z",
            "2024-01-01T00:45:00Z",
            "2024-01-01T00:55:00Z",
            "2024-01-01T01:05:00Z"),
        fires("5/10 * * * *", "2024-01-01T00:00:00Z", 7));
  }

  @Test
  void listsMixRangesStepsAndValues() {
    assertEquals(
        List.of(
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:02:00Z",
            "2024-01-01T00:07:00Z",
            "2024-01-01T00:08:00Z",
            "2024-01-01T00:09:00Z",
            "2024-01-01T00:30:00Z",
            "2024-01-01T01:00:00Z"),
        fires("0-2/2,7-9,30 * * * *", "2023-12-31T23:59:00Z", 7));
  }

  @Test
  void monthNamesInAnyCase() {
    assertEquals(
        List.of("2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z", "2025-03-01T00:00:00Z"),
        fires("0 0 1 MAR,jun *", "2024-01-01T00:00:00Z", 3));
    assertEquals(
        List.of("2024-10-01T00:00:00Z", "2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z"),
        fires("0 0 1 Oct-DEC *", "2024-01-01T00:00:00Z", 3));
  }

  @Test
  void dayNamesAndRangesOfThem() {
    // 2024-01-05 is a Friday
    assertEquals(
        List.of("2024-01-05T09:00:00Z", "2024-01-08T09:00:00Z", "2024-01-09T09:00:00Z"),
        fires("0 9 * * MON-FRI", "2024-01-04T09:00:00Z", 3));
    assertEquals(
        List.of("2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z", "2024-01-13T00:00:00Z"),
        fires("0 0 * * sat,Sun", "2024-01-05T00:00:00Z", 3));
  }

  @Test
  void sundayIsBothZeroAndSeven() {
    List<String> sundays = List.of("2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z");
    assertEquals(sundays, fires("0 0 * * 0", "2024-01-05T00:00:00Z", 2));
    assertEquals(sundays, fires("0 0 * * 7", "2024-01-05T00:00:00Z", 2));
    assertEquals(sundays, fires("0 0 * * SUN", "2024-01-05T00:00:00Z", 2));
    // FRI-7: Friday, Saturday, Sunday
    assertEquals(
        List.of(
            "2024-01-05T00:00:00Z",
            "2024-01-06T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-12T00:00:00Z"),
        fires("0 0 * * FRI-7", "2024-01-04T00:00:00Z", 4));
  }

  @Test
  void dayOfWeekStepsEndOnSaturday() {
    // */2 is Sunday, Tuesday, Thursday, Saturday; 7 is not reached by the step
    assertEquals(
        List.of(
            "2024-01-07T00:00:00Z",
            "2024-01-09T00:00:00Z",
            "2024-01-11T00:00:00Z",
            "2024-01-13T00:00:00Z",
            "2024-01-14T00:00:00Z"),
        fires("0 0 * * */2", "2024-01-06T00:00:00Z", 5));
  }

  @Test
  void questionMarkIsAStarInTheDayFields() {
    assertEquals(
        fires("0 0 * * MON", "2024-01-01T00:00:00Z", 3),
        fires("0 0 ? * MON", "2024-01-01T00:00:00Z", 3));
    assertEquals(
        fires("0 0 15 * *", "2024-01-01T00:00:00Z", 3),
        fires("0 0 15 * ?", "2024-01-01T00:00:00Z", 3));
  }

  @Test
  void sixFieldsStartWithSeconds() {
    assertEquals(
        List.of("2024-01-01T00:00:10Z", "2024-01-01T00:00:20Z", "2024-01-01T00:00:30Z"),
        fires("*/10 * * * * *", "2024-01-01T00:00:00Z", 3));
    assertEquals(
        List.of("2024-01-01T09:00:30Z", "2024-01-02T09:00:30Z"),
        fires("30 0 9 * * *", "2024-01-01T00:00:00Z", 2));
    assertEquals(
        List.of("2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"),
        fires("0 * * * * *", "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void fiveFieldsFireAtSecondZero() {
    assertEquals("2024-01-01T00:01:00Z", fires("* * * * *", "2024-01-01T00:00:00.001Z", 1).get(0));
    assertEquals("2024-01-01T00:01:00Z", fires("* * * * *", "2024-01-01T00:00:59Z", 1).get(0));
  }

  @Test
  void macros() {
    String after = "2024-05-15T10:20:30Z";
    assertEquals(List.of("2025-01-01T00:00:00Z"), fires("@yearly", after, 1));
    assertEquals(List.of("2025-01-01T00:00:00Z"), fires("@annually", after, 1));
    assertEquals(List.of("2024-06-01T00:00:00Z"), fires("@monthly", after, 1));
    assertEquals(List.of("2024-05-19T00:00:00Z"), fires("@weekly", after, 1)); // a Sunday
    assertEquals(List.of("2024-05-16T00:00:00Z"), fires("@daily", after, 1));
    assertEquals(List.of("2024-05-16T00:00:00Z"), fires("@midnight", after, 1));
    assertEquals(List.of("2024-05-15T11:00:00Z"), fires("@hourly", after, 1));
    assertEquals(List.of("2024-05-15T11:00:00Z"), fires("@HOURLY", after, 1));
  }

  @Test
  void whitespaceBetweenAndAroundFields() {
    assertEquals(
        fires("0 9 * * 1", "2024-01-01T00:00:00Z", 2),
        fires("  0\t9  * *\n1 ", "2024-01-01T00:00:00Z", 2));
  }

  @Test
  void toStringIsTheExpressionAndEqualityFollowsIt() {
    Cron cron = Cron.parse(" 0 9 * * MON-FRI ");
    assertEquals("0 9 * * MON-FRI", cron.toString());
    assertEquals(Cron.parse("0 9 * * MON-FRI"), cron);
    assertEquals(Cron.parse("0 9 * * MON-FRI").hashCode(), cron.hashCode());
    assertNotEquals(Cron.parse("0 9 * * 1-5"), cron);
    assertEquals("@daily", Cron.parse("@daily").toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          61 * * * *            | minute field: 61 is out of range 0-59
          99999999999 * * * *   | minute field: 99999999999 is out of range 0-59
          * 24 * * *            | hour field: 24 is out of range 0-23
          * * 0 * *             | day-of-month field: 0 is out of range 1-31
          * * 32 * *            | day-of-month field: 32 is out of range 1-31
          * * * 0 *             | month field: 0 is out of range 1-12
          * * * 13 *            | month field: 13 is out of range 1-12
          * * * * 8             | day-of-week field: 8 is out of range 0-7
          60 * * * * *          | second field: 60 is out of range 0-59
          * 5-2 * * *           | hour field: range 5-2 is reversed
          * * * * MON-SUN       | day-of-week field: range MON-SUN is reversed
          * * * DEC-JAN *       | month field: range DEC-JAN is reversed
          */0 * * * *           | minute field: step 0 in '*/0' must be at least 1
          10-20/0 * * * *       | minute field: step 0 in '10-20/0' must be at least 1
          */-1 * * * *          | minute field: step '-1' in '*/-1' is not a positive number
          * */25 * * *          | hour field: step 25 in '*/25' is out of range 1-24
          */ * * * *            | minute field: missing step in '*/'
          1/2/3 * * * *         | minute field: step '2/3' in '1/2/3' is not a positive number
          1,,2 * * * *          | minute field: empty element in '1,,2'
          1, * * * *            | minute field: empty element in '1,'
          ,5 * * * *            | minute field: empty element in ',5'
          -5 * * * *            | minute field: missing value in '-5'
          * 5- * * *            | hour field: missing value in '5-'
          1-2-3 * * * *         | minute field: '1-2-3' is not a range
          1.5 * * * *           | minute field: '1.5' is not a number
          MON * * * *           | minute field: 'MON' is not a number
          * * * FOO *           | month field: unknown name 'FOO'
          * * * JAN-FOO *       | month field: unknown name 'FOO'
          * * * * FUN           | day-of-week field: unknown name 'FUN'
          * * * * MONDAY        | day-of-week field: unknown name 'MONDAY'
          * * * * 1x            | day-of-week field: '1x' is not a number
          ? * * * *             | minute field: '?' is allowed only in the day-of-month and day-of-week fields
          0 0 * ? *             | month field: '?' is allowed only in the day-of-month and day-of-week fields
          0 0 ?/2 * *           | day-of-month field: '?' must be the whole field, not part of '?/2'
          0 0 1,? * *           | day-of-month field: '?' must be the whole field, not part of '1,?'
          0 0 30 2 *            | day-of-month field: '30' never occurs in month '2', so the expression never fires
          0 0 31 4,6,9,11 *     | day-of-month field: '31' never occurs in month '4,6,9,11', so the expression never fires
          0 0 30-31 FEB ?       | day-of-month field: '30-31' never occurs in month 'FEB', so the expression never fires
          """)
  void badFieldsAreRefusedNamingTheFieldAndTheToken(String expression, String message) {
    InvalidScheduleException e =
        assertThrows(InvalidScheduleException.class, () -> Cron.parse(expression));
    assertEquals(message, e.getMessage());
  }

  @ParameterizedTest(name = "[{0}]")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          * * * *               | expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first) but got 4 in '* * * *'
          * * * * * * *         | expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first) but got 7 in '* * * * * * *'
          ""                    | empty cron expression
          "   "                 | empty cron expression
          @reboot               | unknown macro '@reboot'
          @daily 5              | unknown macro '@daily 5'
          """)
  void badShapesAreRefused(String expression, String message) {
    InvalidScheduleException e =
        assertThrows(InvalidScheduleException.class, () -> Cron.parse(expression));
    assertEquals(message, e.getMessage());
  }

  @Test
  void theExceptionIsAnOrchestratorException() {
    assertTrue(new InvalidScheduleException("x") instanceof OrchestratorException);
  }

  @Test
  void aDayOfMonthThatOnlySomeMonthsHaveIsAccepted() {
    assertEquals(List.of("2028-02-29T00:00:00Z"), fires("0 0 29 2 *", "2024-03-01T00:00:00Z", 1));
    assertEquals(List.of("2024-03-31T00:00:00Z"), fires("0 0 31 2,3 *", "2024-01-01T00:00:00Z", 1));
  }

  @Test
  void anImpossibleDayOfMonthIsAcceptedWhenTheDayOfWeekCanFireInstead() {
    // both day fields restricted: either matching is enough, so the Mondays of February fire
    assertEquals(
        List.of("2024-02-05T00:00:00Z", "2024-02-12T00:00:00Z"),
        fires("0 0 30 2 MON", "2024-01-01T00:00:00Z", 2));
  }
}

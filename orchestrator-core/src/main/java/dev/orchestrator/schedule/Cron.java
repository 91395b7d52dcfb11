package dev.orchestrator.schedule;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.Year;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A cron expression: which wall-clock times a schedule fires at. Immutable and thread-safe.
 *
 * <h2>Syntax</h2>
 *
 * Five fields {@code minute hour day-of-month month day-of-week}, or six with a leading {@code
 * second} field; five-field expressions fire at second 0. Fields are separated by whitespace.
 *
 * <table>
 *   <caption>Fields</caption>
 *   <tr><th>Field</th><th>Values</th><th>Names</th></tr>
 *   <tr><td>second</td><td>0-59</td><td></td></tr>
 *   <tr><td>minute</td><td>0-59</td><td></td></tr>
 *   <tr><td>hour</td><td>0-23</td><td></td></tr>
 *   <tr><td>day-of-month</td><td>1-31</td><td></td></tr>
 *   <tr><td>month</td><td>1-12</td><td>JAN-DEC</td></tr>
 *   <tr><td>day-of-week</td><td>0-7, 0 and 7 both Sunday</td><td>SUN-SAT</td></tr>
 * </table>
 *
 * <p>A field is a comma-separated list of elements; an element is {@code *} (every value), a value
 * {@code 5}, a range {@code 1-5}, or one of those followed by a step: {@code *}{@code /15} (every
 * 15th value from the field's first), {@code 10-40/5} (every 5th value from 10 to 40) or {@code
 * 5/10} (every 10th value from 5 to the field's last). Names are case-insensitive and work in
 * ranges ({@code MON-FRI}). A step runs from 1 to the number of values of the field (60 for
 * minutes). {@code ?} means the same as {@code *}, and is allowed only as a whole day-of-month or
 * day-of-week field. In the day-of-week field {@code *} and an open step such as {@code 1/2} end at
 * 6 (Saturday); 7 (Sunday) is included only when written, as in {@code 5-7}.
 *
 * <p>Macros: {@code @yearly} and {@code @annually} ({@code 0 0 1 1 *}), {@code @monthly} ({@code 0
 * 0 1 * *}), {@code @weekly} ({@code 0 0 * * 0}), {@code @daily} and {@code @midnight} ({@code 0 0
 * * * *}), {@code @hourly} ({@code 0 * * * *}), case-insensitive.
 *
 * <h2>Day of month and day of week</h2>
 *
 * As in Vixie cron: when both day fields are restricted, a day matches if <em>either</em> matches
 * ({@code 0 0 1 * MON} fires on the first of each month and on every Monday); when one of them is
 * {@code *} or {@code ?}, the other alone decides. A field counts as unrestricted only when it is
 * written as exactly {@code *} or {@code ?}; unlike Vixie cron, a field such as {@code *}{@code /2}
 * is restricted.
 *
 * <p>An expression whose day-of-month can never fall in its months (such as {@code 0 0 30 2 *}) is
 * refused by {@link #parse}, so every expression this class holds fires at least once every eight
 * years (a February 29 expression waits eight years across 2100).
 *
 * <h2>Daylight saving time</h2>
 *
 * {@link #next} works on the wall clock of the zone it is given, and maps the wall-clock times that
 * match to instants like this:
 *
 * <ul>
 *   <li>A wall-clock time the zone skips (in a spring-forward gap) fires once, at the first instant
 *       after the gap, which is the instant of the transition: {@code 30 2 * * *} in Europe/Berlin
 *       fires on the last Sunday of March at 03:00 CEST (01:00Z). Several matching times in one gap
 *       fire once together: {@code *}{@code /15 * * * *} fires at 01:45 CET and then at 03:00 CEST,
 *       15 minutes later, and 03:15 CEST. No fire time is lost, so an hourly expression off the
 *       hour catches up too: {@code 30 * * * *} fires at 01:30 CET, 03:00 CEST (for 02:30) and
 *       03:30 CEST.
 *   <li>A wall-clock time that occurs twice (in a fall-back overlap) fires once, at its earlier
 *       occurrence, when the hour field restricts the hours: {@code 30 2 * * *} fires on the last
 *       Sunday of October in Europe/Berlin at 02:30 CEST (00:30Z) only.
 *   <li>When the hour field matches every hour ({@code *}, {@code *}{@code /1}, {@code 0-23}), a
 *       repeated wall-clock time fires at each of its occurrences, so such an expression follows
 *       elapsed time through the overlap: {@code 0 *}{@code /15 * * * *} keeps firing every 15
 *       minutes, and {@code 0 * * * *} fires every real hour.
 * </ul>
 *
 * Zones with fixed offsets have neither gaps nor overlaps.
 */
public final class Cron {
  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  /** The six fields, with their value ranges and names. */
  private enum Field {
    SECOND("second", 0, 59, 59, List.of()),
    MINUTE("minute", 0, 59, 59, List.of()),
    HOUR("hour", 0, 23, 23, List.of()),
    DAY_OF_MONTH("day-of-month", 1, 31, 31, List.of()),
    MONTH(
        "month",
        1,
        12,
        12,
        List.of(
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    DAY_OF_WEEK("day-of-week", 0, 7, 6, List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"));

    final String label;
    final int min;
    final int max;

    /** Where {@code *} and an open step such as {@code 5/10} end. */
    final int last;

    /** Names of the values from {@link #min} on. */
    final List<String> names;

    Field(String label, int min, int max, int last, List<String> names) {
      this.label = label;
      this.min = min;
      this.max = max;
      this.last = last;
      this.names = names;
    }

    long all() {
      return bits(min, last, 1);
    }

    InvalidScheduleException error(String detail) {
      return new InvalidScheduleException(label + " field: " + detail);
    }
  }

  private final String expression;
  private final long seconds;
  private final long minutes;
  private final long hours;
  private final long daysOfMonth;
  private final long months;
  private final long daysOfWeek;

  /** Both day fields are restricted: a day matches if either matches. */
  private final boolean eitherDay;

  /** The hour field matches every hour: repeated wall-clock times fire at each occurrence. */
  private final boolean everyHour;

  private Cron(String expression, long[] fields, boolean eitherDay) {
    this.expression = expression;
    this.seconds = fields[0];
    this.minutes = fields[1];
    this.hours = fields[2];
    this.daysOfMonth = fields[3];
    this.months = fields[4];
    this.daysOfWeek = fields[5];
    this.eitherDay = eitherDay;
    this.everyHour = hours == Field.HOUR.all();
  }

  /**
   * Parses a cron expression (see the class documentation for the syntax).
   *
   * @throws InvalidScheduleException if the expression is malformed, or can never fire
   */
  public static Cron parse(String expression) {
    Objects.requireNonNull(expression, "expression");
    String text = expression.strip();
    String fieldsText = text;
    if (text.startsWith("@")) {
      fieldsText = MACROS.get(text.toLowerCase(Locale.ROOT));
      if (fieldsText == null) {
        throw new InvalidScheduleException("unknown macro '" + text + "'");
      }
    }
    if (fieldsText.isEmpty()) {
      throw new InvalidScheduleException("empty cron expression");
    }
    String[] parts = fieldsText.split("\\s+");
    if (parts.length != 5 && parts.length != 6) {
      throw new InvalidScheduleException(
          "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first) but"
              + " got "
              + parts.length
              + " in '"
              + text
              + "'");
    }
    Field[] order = Field.values();
    int skipped = 6 - parts.length;
    long[] fields = new long[6];
    fields[0] = 1L; // second 0, unless a second field is given
    for (int i = skipped; i < 6; i++) {
      fields[i] = parseField(order[i], parts[i - skipped]);
    }
    String dayOfMonth = parts[3 - skipped];
    String month = parts[4 - skipped];
    boolean dayOfMonthRestricted = isRestricted(dayOfMonth);
    boolean dayOfWeekRestricted = isRestricted(parts[5 - skipped]);
    if (dayOfMonthRestricted && !dayOfWeekRestricted) {
      requireSomeDayInSomeMonth(fields[3], fields[4], dayOfMonth, month);
    }
    return new Cron(text, fields, dayOfMonthRestricted && dayOfWeekRestricted);
  }

  private static boolean isRestricted(String field) {
    return !field.equals("*") && !field.equals("?");
  }

  /** Refuses a day-of-month that falls in none of the months, such as the 30th of February. */
  private static void requireSomeDayInSomeMonth(
      long daysOfMonth, long months, String dayOfMonth, String month) {
    int firstDay = Long.numberOfTrailingZeros(daysOfMonth);
    for (int m = 1; m <= 12; m++) {
      if ((months & 1L << m) != 0 && firstDay <= Month.of(m).maxLength()) {
        return;
      }
    }
    throw Field.DAY_OF_MONTH.error(
        "'"
            + dayOfMonth
            + "' never occurs in month '"
            + month
            + "', so the expression never fires");
  }

  private static long parseField(Field field, String text) {
    if (text.contains("?")) {
      if (field != Field.DAY_OF_MONTH && field != Field.DAY_OF_WEEK) {
        throw field.error("'?' is allowed only in the day-of-month and day-of-week fields");
      }
      if (!text.equals("?")) {
        throw field.error("'?' must be the whole field, not part of '" + text + "'");
      }
      return field.all();
    }
    long bits = 0;
    for (String element : text.split(",", -1)) {
      if (element.isEmpty()) {
        throw field.error("empty element in '" + text + "'");
      }
      bits |= parseElement(field, element);
    }
    if (field == Field.DAY_OF_WEEK && (bits & 1L << 7) != 0) {
      bits = bits & ~(1L << 7) | 1L; // 7 is Sunday, like 0
    }
    return bits;
  }

  private static long parseElement(Field field, String element) {
    int slash = element.indexOf('/');
    String base = slash < 0 ? element : element.substring(0, slash);
    int step = slash < 0 ? 1 : parseStep(field, element.substring(slash + 1), element);
    if (base.equals("*")) {
      return bits(field.min, field.last, step);
    }
    int dash = base.indexOf('-');
    if (dash < 0) {
      int value = parseValue(field, base, element);
      return bits(value, slash < 0 ? value : Math.max(value, field.last), step);
    }
    if (base.indexOf('-', dash + 1) >= 0) {
      throw field.error("'" + element + "' is not a range");
    }
    int from = parseValue(field, base.substring(0, dash), element);
    int to = parseValue(field, base.substring(dash + 1), element);
    if (from > to) {
      throw field.error("range " + base + " is reversed");
    }
    return bits(from, to, step);
  }

  private static int parseStep(Field field, String token, String element) {
    if (token.isEmpty()) {
      throw field.error("missing step in '" + element + "'");
    }
    if (!isNumber(token)) {
      throw field.error("step '" + token + "' in '" + element + "' is not a positive number");
    }
    int step = toInt(token);
    int values = field.last - field.min + 1;
    if (step == 0) {
      throw field.error("step 0 in '" + element + "' must be at least 1");
    }
    if (step > values) {
      throw field.error("step " + token + " in '" + element + "' is out of range 1-" + values);
    }
    return step;
  }

  private static int parseValue(Field field, String token, String element) {
    if (token.isEmpty()) {
      throw field.error("missing value in '" + element + "'");
    }
    if (isNumber(token)) {
      int value = toInt(token);
      if (value < field.min || value > field.max) {
        throw field.error(token + " is out of range " + field.min + "-" + field.max);
      }
      return value;
    }
    int index = field.names.indexOf(token.toUpperCase(Locale.ROOT));
    if (index >= 0) {
      return field.min + index;
    }
    if (!field.names.isEmpty() && token.chars().allMatch(Character::isLetter)) {
      throw field.error("unknown name '" + token + "'");
    }
    throw field.error("'" + token + "' is not a number");
  }

  private static boolean isNumber(String token) {
    return token.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /** The value of a string of digits, saturated at {@link Integer#MAX_VALUE}. */
  private static int toInt(String digits) {
    return digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
  }

  private static long bits(int from, int to, int step) {
    long bits = 0;
    for (int v = from; v <= to; v += step) {
      bits |= 1L << v;
    }
    return bits;
  }

  /**
   * The first fire time strictly after {@code after}, on the wall clock of {@code zone} (see the
   * class documentation for daylight saving time).
   *
   * @throws DateTimeException if that time is beyond the year 999,999,999
   */
  public Instant next(Instant after, ZoneId zone) {
    ZoneRules rules = zone.getRules();
    Instant from = Instant.ofEpochSecond(after.getEpochSecond() + 1);
    while (true) {
      // walk the time line in stretches of one offset, in which the wall clock runs evenly
      ZoneOffset offset = rules.getOffset(from);
      LocalDateTime local = LocalDateTime.ofEpochSecond(from.getEpochSecond(), 0, offset);
      ZoneOffsetTransition current = rules.getTransition(local);
      if (!everyHour
          && current != null
          && current.isOverlap()
          && offset.equals(current.getOffsetAfter())) {
        // the second occurrence of repeated wall-clock times: they fired at the first
        from = current.getDateTimeBefore().toInstant(offset);
        continue;
      }
      LocalDateTime match = nextMatch(local);
      Instant fire = match.toInstant(offset);
      ZoneOffsetTransition transition = rules.nextTransition(from);
      if (transition == null || fire.isBefore(transition.getInstant())) {
        return fire;
      }
      if (transition.isGap() && match.isBefore(transition.getDateTimeAfter())) {
        return transition.getInstant(); // the match is skipped by the gap
      }
      from = transition.getInstant();
    }
  }

  /**
   * The first matching wall-clock time at or after {@code from}, which has no fraction: each field
   * in turn moves to its next allowed value, resetting the fields below it, and carries into the
   * field above when it has none left.
   */
  private LocalDateTime nextMatch(LocalDateTime from) {
    int year = from.getYear();
    int month = from.getMonthValue();
    int day = from.getDayOfMonth();
    int hour = from.getHour();
    int minute = from.getMinute();
    int second = from.getSecond();
    while (year <= Year.MAX_VALUE) {
      int m = nextBit(months, month);
      if (m < 0) {
        year++;
        month = day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (m != month) {
        month = m;
        day = 1;
        hour = minute = second = 0;
      }
      int d = nextDay(year, month, day);
      if (d < 0) {
        month++;
        day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (d != day) {
        day = d;
        hour = minute = second = 0;
      }
      int h = nextBit(hours, hour);
      if (h < 0) {
        day++;
        hour = minute = second = 0;
        continue;
      }
      if (h != hour) {
        hour = h;
        minute = second = 0;
      }
      int mi = nextBit(minutes, minute);
      if (mi < 0) {
        hour++;
        minute = second = 0;
        continue;
      }
      if (mi != minute) {
        minute = mi;
        second = 0;
      }
      int s = nextBit(seconds, second);
      if (s < 0) {
        minute++;
        second = 0;
        continue;
      }
      return LocalDateTime.of(year, month, day, hour, minute, s);
    }
    throw new DateTimeException("'" + expression + "' does not fire again before year 1000000000");
  }

  /** The first matching day of the month at or after {@code from}, or -1. */
  private int nextDay(int year, int month, int from) {
    int length = Month.of(month).length(Year.isLeap(year));
    if (from > length) {
      return -1;
    }
    int dayOfWeek = LocalDate.of(year, month, from).getDayOfWeek().getValue() % 7;
    for (int day = from; day <= length; day++, dayOfWeek = (dayOfWeek + 1) % 7) {
      boolean dayOfMonthMatches = (daysOfMonth & 1L << day) != 0;
      boolean dayOfWeekMatches = (daysOfWeek & 1L << dayOfWeek) != 0;
      if (eitherDay
          ? dayOfMonthMatches || dayOfWeekMatches
          : dayOfMonthMatches && dayOfWeekMatches) {
        return day;
      }
    }
    return -1;
  }

  /** The lowest set bit at or above {@code from}, or -1. */
  private static int nextBit(long bits, int from) {
    long rest = from >= 64 ? 0 : bits & -1L << from;
    return rest == 0 ? -1 : Long.numberOfTrailingZeros(rest);
  }

  /** The expression as given to {@link #parse}, without leading and trailing whitespace. */
  @Override
  public String toString() {
    return expression;
  }

  /** Equal when written the same (so {@code 0 0 * * *} and {@code @daily} differ). */
  @Override
  public boolean equals(Object o) {
    return o instanceof Cron other && expression.equals(other.expression);
  }

  @Override
  public int hashCode() {
    return expression.hashCode();
  }
}

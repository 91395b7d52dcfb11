package dev.orchestrator.schedule;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * For random instants t, many of them near daylight saving transitions: next(t) is after t, is a
 * fire time, and no fire time lies between them. "Fire time" is decided by a matcher written
 * separately from {@link Cron}, which looks at each instant on its own instead of searching.
 */
class CronPropertyTest {
  private static final List<ZoneId> ZONES =
      List.of(
          ZoneId.of("Europe/Berlin"),
          ZoneId.of("America/New_York"),
          ZoneId.of("Australia/Lord_Howe"),
          ZoneId.of("America/Sao_Paulo"),
          ZoneOffset.UTC,
          ZoneOffset.ofHoursMinutes(5, 45));
  private static final Instant FROM = Instant.parse("2000-01-01T00:00:00Z");
  private static final Instant TO = Instant.parse("2040-01-01T00:00:00Z");
  private static final int INSTANTS = 2_000;

  /** Gaps this long or longer are not walked through (minute by minute, or second by second). */
  private static final Duration WALK_MINUTES_UP_TO = Duration.ofDays(3);

  private static final Duration WALK_SECONDS_UP_TO = Duration.ofHours(2);

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "* * * * *",
        "*/15 * * * *",
        "0 * * * *",
        "30 * * * *",
        "5/10 * * * *",
        "10-40/5 */2 * * *",
        "30 2 * * *",
        "*/20 1-3 * * *",
        "15,45 0,2,3 * * *",
        "0 0 * * *",
        "0 9 * * MON-FRI",
        "0 0 13 * FRI",
        "0 0 */2 * 1",
        "0 12 1,15 * *",
        "0 0 1 * ?",
        "@weekly",
        "0 0 31 * *",
        "0 0 29 2 *",
        "*/10 * * * * *",
        "0 */15 * * * *",
        "15,45 30 1,2 * * *",
        "30 0 9 * * MON-FRI"
      })
  void nextIsTheFirstFireTimeAfter(String expression) {
    Cron cron = Cron.parse(expression);
    Matcher matcher = new Matcher(expression);
    ChronoUnit unit = matcher.hasSeconds ? ChronoUnit.SECONDS : ChronoUnit.MINUTES;
    Duration walkUpTo = matcher.hasSeconds ? WALK_SECONDS_UP_TO : WALK_MINUTES_UP_TO;
    SplittableRandom random = new SplittableRandom(expression.hashCode());
    for (int i = 0; i < INSTANTS; i++) {
      ZoneId zone = ZONES.get(random.nextInt(ZONES.size()));
      Instant t = randomInstant(random, zone);
      if (random.nextInt(4) == 0) {
        t = cron.next(t, zone); // exactly on a fire time
      }
      Instant next = cron.next(t, zone);
      String where = expression + " in " + zone + " after " + t + ": " + next;
      assertTrue(next.isAfter(t), where);
      assertTrue(matcher.fires(next, zone, unit), where + " is not a fire time");
      if (Duration.between(t, next).compareTo(walkUpTo) < 0) {
        for (Instant s = t.truncatedTo(unit).plus(1, unit); s.isBefore(next); s = s.plus(1, unit)) {
          if (matcher.fires(s, zone, unit)) {
            fail(where + " skips the fire time " + s);
          }
        }
      }
    }
  }

  /** Uniform over 2000-2040, or, half of the time, within a day and a half of a transition. */
  private static Instant randomInstant(SplittableRandom random, ZoneId zone) {
    Instant uniform =
        Instant.ofEpochSecond(
            random.nextLong(FROM.getEpochSecond(), TO.getEpochSecond()),
            random.nextInt(4) == 0 ? random.nextInt(1_000_000_000) : 0);
    ZoneOffsetTransition transition = zone.getRules().nextTransition(uniform);
    if (random.nextBoolean() || transition == null) {
      return uniform;
    }
    long aroundIt = random.nextLong(-36 * 3600, 36 * 3600);
    return transition.getInstant().plusSeconds(aroundIt);
  }

  /**
   * Decides whether an instant is a fire time by looking at the wall clock there: a matching wall
   * clock, not the second occurrence of a repeated time for an expression with restricted hours; or
   * the end of a gap that swallowed a matching wall clock.
   */
  private static final class Matcher {
    private static final Map<String, String> MACROS = Map.of("@weekly", "0 0 * * 0");
    private static final List<String> MONTHS =
        List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS =
        List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    final boolean hasSeconds;
    private final boolean[] second;
    private final boolean[] minute;
    private final boolean[] hour;
    private final boolean[] dayOfMonth;
    private final boolean[] month;
    private final boolean[] dayOfWeek;
    private final boolean eitherDay;
    private final boolean everyHour;

    Matcher(String expression) {
      String[] f = MACROS.getOrDefault(expression, expression).split(" ");
      hasSeconds = f.length == 6;
      int o = hasSeconds ? 1 : 0;
      second = hasSeconds ? expand(f[0], 0, 59, List.of()) : expand("0", 0, 59, List.of());
      minute = expand(f[o], 0, 59, List.of());
      hour = expand(f[o + 1], 0, 23, List.of());
      dayOfMonth = expand(f[o + 2], 1, 31, List.of());
      month = expand(f[o + 3], 1, 12, MONTHS);
      dayOfWeek = expand(f[o + 4], 0, 6, DAYS);
      eitherDay = !isStar(f[o + 2]) && !isStar(f[o + 4]);
      boolean all = true;
      for (boolean h : hour) {
        all &= h;
      }
      everyHour = all;
    }

    private static boolean isStar(String field) {
      return field.equals("*") || field.equals("?");
    }

    private static boolean[] expand(String field, int low, int high, List<String> names) {
      boolean[] allowed = new boolean[high + 1];
      for (String part : field.split(",")) {
        String[] valueAndStep = part.split("/");
        int step = valueAndStep.length == 2 ? Integer.parseInt(valueAndStep[1]) : 1;
        String[] range = valueAndStep[0].split("-");
        int first;
        int last;
        if (range[0].equals("*") || range[0].equals("?")) {
          first = low;
          last = high;
        } else {
          first = value(range[0], low, names);
          last =
              range.length == 2
                  ? value(range[1], low, names)
                  : valueAndStep.length == 2 ? high : first;
        }
        for (int v = first; v <= last; v += step) {
          allowed[v % (high + 1)] = true; // day of week 7 is 0
        }
      }
      return allowed;
    }

    private static int value(String text, int low, List<String> names) {
      int named = names.indexOf(text.toUpperCase());
      return named >= 0 ? named + low : Integer.parseInt(text);
    }

    boolean matches(LocalDateTime t) {
      boolean dom = dayOfMonth[t.getDayOfMonth()];
      boolean dow = dayOfWeek[t.getDayOfWeek().getValue() % 7];
      return second[t.getSecond()]
          && minute[t.getMinute()]
          && hour[t.getHour()]
          && month[t.getMonthValue()]
          && (eitherDay ? dom || dow : dom && dow);
    }

    boolean fires(Instant instant, ZoneId zone, ChronoUnit unit) {
      ZoneRules rules = zone.getRules();
      ZoneOffset offset = rules.getOffset(instant);
      LocalDateTime wallClock = LocalDateTime.ofInstant(instant, zone);
      if (matches(wallClock)) {
        List<ZoneOffset> offsets = rules.getValidOffsets(wallClock);
        boolean secondOccurrence = offsets.size() == 2 && offset.equals(offsets.get(1));
        return everyHour || !secondOccurrence;
      }
      ZoneOffsetTransition last = rules.previousTransition(instant.plusNanos(1));
      if (last != null && last.isGap() && last.getInstant().equals(instant)) {
        for (LocalDateTime skipped = last.getDateTimeBefore();
            skipped.isBefore(last.getDateTimeAfter());
            skipped = skipped.plus(1, unit)) {
          if (matches(skipped)) {
            return true;
          }
        }
      }
      return false;
    }
  }
}

package dev.orchestrator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.schedule.InvalidScheduleException;
import dev.orchestrator.schedule.MisfirePolicy;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.ManualClock;
import dev.orchestrator.testing.DelegatingTaskStore;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Recurring schedules through the runtime on a controlled clock: time moves only when the test says
 * so, and the test waits for whole passes of the schedule loop after each move, so "no task" is
 * checked as surely as "one task".
 */
class ScheduleRuntimeTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00.500Z"));

  /** The store every node of a test shares; counts the schedule loop's passes. */
  private final CountingStore store = new CountingStore();

  private final List<Orchestrator> nodes = new ArrayList<>();

  static final class CountingStore extends DelegatingTaskStore {
    /** Passes begun by each node's schedule loop, by thread. */
    final Map<Thread, AtomicLong> passes = new ConcurrentHashMap<>();

    CountingStore() {
      super(new InMemoryTaskStore());
    }

    @Override
    public List<Schedule> dueSchedules(Instant until, int limit) {
      passes.computeIfAbsent(Thread.currentThread(), t -> new AtomicLong()).incrementAndGet();
      return super.dueSchedules(until, limit);
    }

    Map<Thread, Long> snapshot() {
      Map<Thread, Long> counts = new HashMap<>();
      passes.forEach((t, n) -> counts.put(t, n.get()));
      return counts;
    }
  }

  private Orchestrator node() {
    Orchestrator node =
        Orchestrator.builder()
            .store(store)
            .clock(clock)
            .pollInterval(Duration.ofMillis(20))
            .schedulerMaxIdle(Duration.ofMillis(10))
            .build();
    nodes.add(node);
    return node;
  }

  @AfterEach
  void close() {
    nodes.forEach(Orchestrator::close);
  }

  /**
   * Waits until a pass of some node's schedule loop has run wholly after this call: a loop reads
   * the clock just before it asks for due schedules, so its pass whose query starts second from now
   * read the clock after this call, and that pass is over once its third query starts. One such
   * pass has handled every fire time up to now: another node's pass that read the clock earlier can
   * only submit a fire time already handled, whose key gets the task already there.
   */
  private void awaitPasses() {
    Map<Thread, Long> before = store.snapshot();
    Waits.until(
        "a whole pass of a schedule loop",
        WAIT,
        () ->
            store.snapshot().entrySet().stream()
                .anyMatch(e -> e.getValue() >= before.getOrDefault(e.getKey(), 0L) + 3));
  }

  /** Moves the clock to the instant and lets the loop see it. */
  private void at(Instant instant) {
    clock.set(instant);
    awaitPasses();
  }

  private List<Instant> fireTimes(Orchestrator o, String name) {
    return o.scheduledTasks(name, 1000).stream()
        .map(t -> Instant.parse(t.labels().get(Schedule.FIRE_TIME_LABEL)))
        .sorted()
        .toList();
  }

  private static List<Instant> times(String... isos) {
    return java.util.Arrays.stream(isos).map(Instant::parse).toList();
  }

  // ---- firing ----

  @Test
  void anIntervalScheduleSubmitsOneTaskPerFireTime() throws Exception {
    Orchestrator o = node().start();
    Schedule s = o.schedule("ticks", Duration.ofSeconds(10), TaskSpec.prompt("tick").build());
    assertEquals(1, s.version());
    assertEquals(Instant.parse("2026-03-01T10:00:10Z"), s.nextFire());
    assertEquals(clock.now(), s.since());
    at(Instant.parse("2026-03-01T10:00:09.999Z"));
    assertEquals(List.of(), fireTimes(o, "ticks"));
    List<Instant> expected = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      Instant fire = Instant.parse("2026-03-01T10:00:00Z").plusSeconds(10L * i);
      expected.add(fire);
      at(fire);
      at(fire.plusSeconds(3)); // passes in between the fire times submit nothing more
      assertEquals(expected, fireTimes(o, "ticks"));
    }
    for (Task t : o.scheduledTasks("ticks", 100)) {
      String fire = t.labels().get(Schedule.FIRE_TIME_LABEL);
      assertEquals("schedule:ticks:" + fire, t.idempotencyKey());
      assertEquals("ticks", t.labels().get(Schedule.LABEL));
      assertEquals("tick", t.prompt());
      assertEquals(Task.DEFAULT_OWNER, t.owner());
      Task done = o.await(t.id()).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(TaskStatus.COMPLETED, done.status());
    }
    Schedule after = o.getSchedule("ticks").orElseThrow();
    assertEquals(expected.get(4), after.since());
    assertEquals(expected.get(4).plusSeconds(10), after.nextFire());
  }

  @Test
  void aCronScheduleFiresAtItsWallClockTimes() {
    Orchestrator o = node().start();
    o.schedule(
        "quarterly",
        "*/15 9-10 * * *",
        ZoneId.of("UTC"),
        TaskSpec.prompt("report").name("report").label("team", "ops").build());
    at(Instant.parse("2026-03-01T10:14:59Z"));
    assertEquals(List.of(), fireTimes(o, "quarterly"));
    at(Instant.parse("2026-03-01T10:15:00Z"));
    at(Instant.parse("2026-03-01T10:30:01Z"));
    at(Instant.parse("2026-03-01T10:45:00.2Z"));
    assertEquals(
        times("2026-03-01T10:15:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:45:00Z"),
        fireTimes(o, "quarterly"));
    // 11:00 is outside 9-10: the next fire is 09:00 the next day
    at(Instant.parse("2026-03-01T11:00:00Z"));
    assertEquals(3, fireTimes(o, "quarterly").size());
    assertEquals(
        Instant.parse("2026-03-02T09:00:00Z"), o.getSchedule("quarterly").orElseThrow().nextFire());
    Task t = o.scheduledTasks("quarterly", 1).get(0);
    assertEquals("ops", t.labels().get("team"));
    assertEquals("report", t.name());
  }

  @Test
  void manyNodesOnOneStoreSubmitOneTaskPerFireTime() {
    Orchestrator a = node().start();
    node().start();
    node().start();
    a.schedule("shared", Duration.ofSeconds(1), TaskSpec.prompt("tick").build());
    List<Instant> expected = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      Instant fire = Instant.parse("2026-03-01T10:00:00Z").plusSeconds(i);
      expected.add(fire);
      at(fire.plusMillis(i % 3 * 300));
    }
    assertEquals(expected, fireTimes(a, "shared"));
  }

  // ---- downtime ----

  @Test
  void afterDowntimeRunOnceSubmitsOneTaskForTheLatestMissedFire() {
    Orchestrator first = node().start();
    first.schedule(
        "minutely", Recurrence.every(Duration.ofMinutes(1)), MisfirePolicy.RUN_ONCE, spec());
    at(Instant.parse("2026-03-01T10:01:00.5Z"));
    assertEquals(times("2026-03-01T10:01:00Z"), fireTimes(first, "minutely"));
    first.close();

    // ten fire times pass with no node up
    clock.set(Instant.parse("2026-03-01T10:11:30Z"));
    Orchestrator second = node().start();
    awaitPasses();
    assertEquals(
        times("2026-03-01T10:01:00Z", "2026-03-01T10:11:00Z"), fireTimes(second, "minutely"));
    at(Instant.parse("2026-03-01T10:11:59Z"));
    assertEquals(2, fireTimes(second, "minutely").size());
    at(Instant.parse("2026-03-01T10:12:00Z"));
    assertEquals(
        times("2026-03-01T10:01:00Z", "2026-03-01T10:11:00Z", "2026-03-01T10:12:00Z"),
        fireTimes(second, "minutely"));
  }

  @Test
  void afterDowntimeSkipSubmitsNoneAndWaitsForTheNextFire() {
    Orchestrator first = node().start();
    first.schedule(
        "tenMinutes", Recurrence.every(Duration.ofMinutes(10)), MisfirePolicy.SKIP, spec());
    at(Instant.parse("2026-03-01T10:10:00.5Z"));
    assertEquals(times("2026-03-01T10:10:00Z"), fireTimes(first, "tenMinutes"));
    first.close();

    // ten intervals later, and five minutes past the latest fire time: beyond the 1 min grace
    clock.set(Instant.parse("2026-03-01T12:05:00Z"));
    Orchestrator second = node().start();
    awaitPasses();
    assertEquals(times("2026-03-01T10:10:00Z"), fireTimes(second, "tenMinutes"));
    Schedule skipped = second.getSchedule("tenMinutes").orElseThrow();
    assertEquals(Instant.parse("2026-03-01T12:00:00Z"), skipped.since(), "the skip is recorded");
    assertEquals(Instant.parse("2026-03-01T12:10:00Z"), skipped.nextFire());
    at(Instant.parse("2026-03-01T12:09:59Z"));
    assertEquals(1, fireTimes(second, "tenMinutes").size());
    at(Instant.parse("2026-03-01T12:10:00.1Z"));
    assertEquals(
        times("2026-03-01T10:10:00Z", "2026-03-01T12:10:00Z"), fireTimes(second, "tenMinutes"));
  }

  @Test
  void skipStillRunsAFireThatIsLateWithinTheGrace() {
    Orchestrator stopped = node(); // built, never started: a cluster that is down
    stopped.schedule(
        "tenMinutes", Recurrence.every(Duration.ofMinutes(10)), MisfirePolicy.SKIP, spec());
    clock.set(Instant.parse("2026-03-01T11:40:30Z")); // 30 s after the latest fire time
    stopped.close();
    Orchestrator up = node().start();
    awaitPasses();
    assertEquals(times("2026-03-01T11:40:00Z"), fireTimes(up, "tenMinutes"));
  }

  // ---- changing schedules ----

  @Test
  void anUpdateKeepsWhatWasHandledUnlessTheRecurrenceOrTheOwnerChanges() {
    Orchestrator o = node().start();
    o.schedule("s", Duration.ofSeconds(10), TaskSpec.prompt("v1").build());
    at(Instant.parse("2026-03-01T10:00:10Z"));
    Schedule fired = o.getSchedule("s").orElseThrow();
    assertEquals(Instant.parse("2026-03-01T10:00:10Z"), fired.since());

    // a new spec and policy: the handled fire times stay handled, the next fire is the same
    clock.set(Instant.parse("2026-03-01T10:00:12Z"));
    Schedule updated =
        o.schedule(
            "s",
            Recurrence.every(Duration.ofSeconds(10)),
            MisfirePolicy.SKIP,
            TaskSpec.prompt("v2").build());
    assertEquals(fired.since(), updated.since());
    assertEquals(fired.createdAt(), updated.createdAt());
    assertEquals(Instant.parse("2026-03-01T10:00:20Z"), updated.nextFire());
    assertEquals(MisfirePolicy.SKIP, updated.misfire());
    assertTrue(updated.version() > fired.version());
    at(Instant.parse("2026-03-01T10:00:20Z"));
    List<Task> tasks = o.scheduledTasks("s", 10);
    assertEquals(List.of("v2", "v1"), tasks.stream().map(Task::prompt).toList());

    // a new recurrence counts from now
    clock.set(Instant.parse("2026-03-01T10:00:25Z"));
    Schedule minutely = o.schedule("s", Duration.ofMinutes(1), TaskSpec.prompt("v3").build());
    assertEquals(Instant.parse("2026-03-01T10:00:25Z"), minutely.since());
    assertEquals(Instant.parse("2026-03-01T10:01:00Z"), minutely.nextFire());
    at(Instant.parse("2026-03-01T10:00:59Z"));
    assertEquals(2, o.scheduledTasks("s", 10).size());
    at(Instant.parse("2026-03-01T10:01:00Z"));
    assertEquals("v3", o.scheduledTasks("s", 10).get(0).prompt());
    assertEquals(List.of("s"), o.schedules().stream().map(Schedule::name).toList());

    // so does a new owner of its tasks: no fire time gets a task of each owner
    clock.set(Instant.parse("2026-03-01T10:01:10Z"));
    Schedule same = o.schedule("s", Duration.ofMinutes(1), TaskSpec.prompt("v4").build());
    assertEquals(Instant.parse("2026-03-01T10:01:00Z"), same.since());
    Schedule owned =
        o.schedule("s", Duration.ofMinutes(1), TaskSpec.prompt("v4").owner("acme").build());
    assertEquals(Instant.parse("2026-03-01T10:01:10Z"), owned.since());
    at(Instant.parse("2026-03-01T10:02:00Z"));
    Task acme = o.scheduledTasks("s", 10).get(0);
    assertEquals("acme", acme.owner());
    assertEquals("2026-03-01T10:02:00Z", acme.labels().get(Schedule.FIRE_TIME_LABEL));
  }

  @Test
  void aRemovedScheduleFiresNoMore() {
    Orchestrator o = node().start();
    o.schedule("gone", Duration.ofSeconds(10), spec());
    at(Instant.parse("2026-03-01T10:00:10Z"));
    assertEquals(1, fireTimes(o, "gone").size());
    assertTrue(o.unschedule("gone"));
    assertFalse(o.unschedule("gone"));
    assertTrue(o.getSchedule("gone").isEmpty());
    assertEquals(List.of(), o.schedules());
    at(Instant.parse("2026-03-01T10:00:20Z"));
    at(Instant.parse("2026-03-01T10:05:00Z"));
    assertEquals(1, fireTimes(o, "gone").size(), "its task stays, no other comes");
  }

  // ---- daylight saving time ----

  @Test
  void aDailyCronInBerlinAcrossBothDaylightSavingChanges() {
    clock.set(Instant.parse("2026-03-28T12:00:00Z"));
    Orchestrator o = node().start();
    o.schedule("nightly", "30 2 * * *", BERLIN, spec());
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 never happens and fires at 03:00 CEST
    at(Instant.parse("2026-03-29T00:59:59Z"));
    assertEquals(List.of(), fireTimes(o, "nightly"));
    at(Instant.parse("2026-03-29T01:00:00Z"));
    at(Instant.parse("2026-03-30T00:30:00Z")); // 02:30 CEST
    assertEquals(times("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"), fireTimes(o, "nightly"));

    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice and fires once
    at(Instant.parse("2026-10-25T00:30:00Z")); // 02:30 CEST (RUN_ONCE: one task for the summer)
    at(Instant.parse("2026-10-25T01:30:00Z")); // 02:30 CET, the second occurrence
    at(Instant.parse("2026-10-26T01:29:59Z"));
    at(Instant.parse("2026-10-26T01:30:00Z")); // 02:30 CET
    assertEquals(
        times(
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:30:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-26T01:30:00Z"),
        fireTimes(o, "nightly"));
  }

  @Test
  void anHourlyCronInBerlinFiresEveryRealHourThroughTheFallBack() {
    clock.set(Instant.parse("2026-10-24T22:00:30Z"));
    Orchestrator o = node().start();
    o.schedule("hourly", "0 * * * *", BERLIN, spec());
    for (int h = 23; h <= 28; h++) {
      at(Instant.parse("2026-10-24T22:00:00Z").plusSeconds(3600L * (h - 22)));
    }
    // 01:00, 02:00 CEST, 02:00, 03:00 CET... every real hour, the repeated 02:00 both times
    assertEquals(
        times(
            "2026-10-24T23:00:00Z",
            "2026-10-25T00:00:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T02:00:00Z",
            "2026-10-25T03:00:00Z",
            "2026-10-25T04:00:00Z"),
        fireTimes(o, "hourly"));
  }

  // ---- bad input ----

  @Test
  void badInputIsRefusedBeforeAnythingIsWritten() {
    Orchestrator o = node();
    TaskSpec good = spec();
    assertThrows(
        InvalidScheduleException.class, () -> o.schedule(" ", Duration.ofSeconds(1), good));
    assertThrows(
        InvalidScheduleException.class,
        () -> o.schedule("x".repeat(Schedule.MAX_NAME_LENGTH + 1), Duration.ofSeconds(1), good));
    assertThrows(InvalidScheduleException.class, () -> o.schedule("s", "61 * * * *", BERLIN, good));
    assertThrows(InvalidScheduleException.class, () -> o.schedule("s", "* * * * *", null, good));
    assertThrows(
        InvalidScheduleException.class, () -> o.schedule("s", Duration.ofMillis(10), good));
    assertThrows(
        InvalidScheduleException.class,
        () -> o.schedule("s", Recurrence.every(Duration.ofSeconds(1)), null, good));
    InvalidTaskException empty =
        assertThrows(
            InvalidTaskException.class,
            () -> o.schedule("s", Duration.ofSeconds(1), TaskSpec.builder().build()));
    assertEquals(InvalidTaskException.Problem.EMPTY_PROMPT, empty.problem());
    InvalidTaskException type =
        assertThrows(
            InvalidTaskException.class,
            () -> o.schedule("s", Duration.ofSeconds(1), TaskSpec.builder().type("nope").build()));
    assertEquals(InvalidTaskException.Problem.UNKNOWN_TYPE, type.problem());
    assertEquals(
        InvalidTaskException.Problem.MAX_ATTEMPTS_OUT_OF_RANGE,
        assertThrows(
                InvalidTaskException.class,
                () ->
                    o.schedule(
                        "s", Duration.ofSeconds(1), TaskSpec.prompt("p").maxAttempts(0).build()))
            .problem());
    for (TaskSpec refused :
        List.of(
            TaskSpec.prompt("p").runAt(clock.now().plusSeconds(60)).build(),
            TaskSpec.prompt("p").idempotencyKey("mine").build(),
            TaskSpec.prompt("p").label(Schedule.LABEL, "other").build(),
            TaskSpec.prompt("p").label(Schedule.FIRE_TIME_LABEL, "then").build())) {
      assertEquals(
          InvalidTaskException.Problem.BAD_FIELD,
          assertThrows(
                  InvalidTaskException.class,
                  () -> o.schedule("s", Duration.ofSeconds(1), refused),
                  refused.toString())
              .problem());
    }
    assertEquals(List.of(), o.schedules());
    assertEquals(List.of(), o.scheduledTasks("s", 10));
  }

  private static TaskSpec spec() {
    return TaskSpec.prompt("scheduled work").build();
  }
}

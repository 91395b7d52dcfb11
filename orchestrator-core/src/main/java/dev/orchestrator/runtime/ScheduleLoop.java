package dev.orchestrator.runtime;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.schedule.FireTimes;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Clock;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires recurring schedules on every started node, with no leader. Each pass reads the schedules
 * whose next fire time is due or near, and for each due one asks {@link FireTimes#due} what to do
 * under its misfire policy: it submits the schedule's task with the idempotency key {@code
 * schedule:<name>:<fire time>}, so that every node that fires the same time gets the one task the
 * store keeps for that key, then moves the schedule's {@code since} to that fire time by
 * compare-and-set. A node that crashes between the two leaves the schedule where it was: the next
 * pass, on any node, submits the same key again and gets the task that is already there. Between
 * passes it sleeps until the earliest next fire time it read, at most {@code schedulerMaxIdle}
 * (other nodes add schedules), or until this node saves a schedule that fires earlier. Internal.
 */
public final class ScheduleLoop extends WakeableLoop {
  private static final Logger log = LoggerFactory.getLogger(ScheduleLoop.class);

  /** Submits a fire's task; a repeated idempotency key returns the task already stored. */
  @FunctionalInterface
  public interface Submitter {
    Task submit(TaskSpec spec);
  }

  private final TaskStore store;
  private final Clock clock;
  private final Duration maxIdle;
  private final Duration grace;
  private final int batchSize;
  private final Submitter submitter;

  /** The fire time each schedule last failed to submit, so the failure is logged once. */
  private final Map<String, Instant> failed = new ConcurrentHashMap<>();

  public ScheduleLoop(TaskStore store, Clock clock, RuntimeSettings settings, Submitter submitter) {
    super(
        "orchestrator-schedules-" + settings.nodeId(),
        "schedule step",
        clock,
        settings.schedulerMaxIdle());
    this.store = store;
    this.clock = clock;
    this.maxIdle = settings.schedulerMaxIdle();
    this.grace = settings.scheduleGrace();
    this.batchSize = settings.batchSize();
    this.submitter = submitter;
  }

  /**
   * The spec a fire of a schedule submits: its own, with the fire's idempotency key and the labels
   * {@code schedule=<name>} and {@code scheduledFor=<fire time>} added.
   */
  public static TaskSpec taskFor(String name, TaskSpec spec, Instant fireTime) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(Schedule.LABEL, name);
    labels.put(Schedule.FIRE_TIME_LABEL, fireTime.toString());
    return new TaskSpec(
        spec.name(),
        spec.type(),
        spec.queue(),
        spec.concurrencyKey(),
        spec.concurrencyLimit(),
        spec.prompt(),
        spec.template(),
        spec.variables(),
        spec.model(),
        spec.options(),
        spec.priority(),
        spec.maxAttempts(),
        spec.runAt(),
        spec.delay(),
        spec.timeout(),
        spec.retryPolicy(),
        spec.dependsOn(),
        Schedule.idempotencyKey(name, fireTime),
        spec.owner(),
        labels);
  }

  @Override
  Instant step() {
    return pass();
  }

  /**
   * Handles every due schedule, a batch at a time.
   *
   * @return when the next pass is needed: the earliest next fire time read, at most {@code
   *     schedulerMaxIdle} from now
   */
  Instant pass() {
    while (true) {
      Instant now = clock.now();
      Instant horizon = now.plus(maxIdle);
      List<Schedule> near = store.dueSchedules(horizon, batchSize);
      Instant next = horizon;
      boolean allHandled = true;
      for (Schedule s : near) {
        Instant after = s.nextFire().isAfter(now) ? s.nextFire() : handle(s, now);
        if (after == null || s.nextFire().isAfter(now)) {
          allHandled = false;
          after = after == null ? horizon : after;
        }
        if (after.isBefore(next)) {
          next = after;
        }
      }
      // a full batch of due schedules, all handled: more may be due behind it
      if (near.size() < batchSize || !allHandled || !running()) {
        return next;
      }
    }
  }

  /**
   * Fires or skips one due schedule.
   *
   * @return its next fire time as this node now knows it, or null when it failed
   */
  private Instant handle(Schedule s, Instant now) {
    Recurrence recurrence = s.recurrence();
    try {
      Optional<Instant> latest = FireTimes.latest(recurrence, s.since(), now);
      if (latest.isEmpty()) {
        // a next fire time that does not follow from since (written by hand): put it right
        Instant next = recurrence.next(s.since());
        store.advanceSchedule(s.name(), s.version(), s.since(), next, now);
        return next;
      }
      Instant fire = latest.get();
      Optional<Instant> due = FireTimes.due(recurrence, s.since(), now, s.misfire(), grace);
      if (due.isPresent()) {
        Task task = submitter.submit(taskFor(s.name(), s.spec(), fire));
        log.debug("schedule {} fire {}: task {}", s.name(), fire, task.id());
      }
      failed.remove(s.name());
      Instant next = recurrence.next(fire);
      if (store.advanceSchedule(s.name(), s.version(), fire, next, now).isEmpty()) {
        log.debug("schedule {} fire {}: another node or an update advanced it", s.name(), fire);
      } else if (due.isEmpty()) {
        log.info(
            "schedule {} skipped fire time {}: {} late, more than the grace of {} ({})",
            s.name(),
            fire,
            Duration.between(fire, now),
            grace,
            s.misfire());
      }
      return next;
    } catch (InvalidTaskException e) {
      // e.g. a type this node neither runs nor declares remote: a node that can submits it
      warnOnce(s, now, "its task is refused on this node: " + e.getMessage(), null);
    } catch (RuntimeException e) {
      warnOnce(s, now, "it failed", e);
    }
    return null;
  }

  private void warnOnce(Schedule s, Instant now, String why, RuntimeException e) {
    Instant fire = s.nextFire();
    if (!fire.equals(failed.put(s.name(), fire))) {
      log.warn(
          "schedule {} could not fire for {} ({} late): {}; retrying every {}",
          s.name(),
          fire,
          Duration.between(fire, now),
          why,
          maxIdle,
          e);
    }
  }
}

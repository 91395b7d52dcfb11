package dev.orchestrator.spring.web;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.schedule.InvalidScheduleException;
import dev.orchestrator.schedule.MisfirePolicy;
import dev.orchestrator.schedule.Recurrence;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;

/**
 * The body of {@code PUT /schedules/{name}}: when it fires ({@code cron} with an optional {@code
 * zone}, default UTC; or {@code every}, an ISO-8601 duration, with an optional {@code anchor}), its
 * misfire policy ({@code RUN_ONCE}, the default, or {@code SKIP}), the owner of its tasks (default:
 * the default owner), and the {@code task} each fire submits, with the fields of {@code POST
 * /tasks}.
 */
record ScheduleRequest(
    String cron,
    String zone,
    Duration every,
    Instant anchor,
    String misfire,
    String owner,
    TaskRequest task) {

  Recurrence recurrence() {
    if ((cron == null) == (every == null)) {
      throw new InvalidScheduleException(
          cron == null
              ? "a schedule needs cron (with zone) or every"
              : "give cron or every, not both");
    }
    if (cron != null) {
      if (anchor != null) {
        throw new InvalidScheduleException("anchor is for every, not for cron");
      }
      return Recurrence.cron(cron, zoneId());
    }
    if (zone != null) {
      throw new InvalidScheduleException("zone is for cron, not for every");
    }
    return anchor == null ? Recurrence.every(every) : Recurrence.every(every, anchor);
  }

  private ZoneId zoneId() {
    if (zone == null) {
      return ZoneId.of("UTC");
    }
    try {
      return ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new InvalidScheduleException("unknown zone '" + zone + "': " + e.getMessage());
    }
  }

  MisfirePolicy misfirePolicy() {
    if (misfire == null) {
      return MisfirePolicy.RUN_ONCE;
    }
    try {
      return MisfirePolicy.valueOf(misfire.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidScheduleException("misfire is RUN_ONCE or SKIP, not '" + misfire + "'");
    }
  }

  /** The task each fire submits, owned by {@link #owner} when it names one. */
  TaskSpec spec() {
    if (task == null) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a schedule needs the task it submits");
    }
    TaskSpec s = task.toSpec();
    return new TaskSpec(
        s.name(),
        s.type(),
        s.queue(),
        s.concurrencyKey(),
        s.concurrencyLimit(),
        s.prompt(),
        s.template(),
        s.variables(),
        s.model(),
        s.options(),
        s.priority(),
        s.maxAttempts(),
        s.runAt(),
        s.delay(),
        s.timeout(),
        s.retryPolicy(),
        s.dependsOn(),
        s.idempotencyKey(),
        owner,
        s.labels());
  }
}

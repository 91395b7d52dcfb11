package dev.orchestrator.schedule;

import dev.orchestrator.TaskSpec;
import dev.orchestrator.Texts;
import java.time.Instant;
import java.util.Objects;

/**
 * A recurring schedule: a named, durable {@link Recurrence} that submits one task of its {@link
 * #spec()} for each fire time, once across the whole cluster. Immutable; the store keeps it and
 * every node's runtime advances it by compare-and-set on {@link #version()}.
 *
 * @param name unique in the store: 1 to {@value #MAX_NAME_LENGTH} characters, not blank
 * @param recurrence when it fires
 * @param misfire what it does with fire times that passed while no node watched
 * @param spec the task each fire submits (with the fire's idempotency key and labels added)
 * @param createdAt when the schedule was first saved
 * @param since the last fire time handled (run, or dropped by {@link MisfirePolicy#SKIP}), or the
 *     time the schedule was created or its recurrence last changed while no fire was handled since;
 *     fire times strictly after it are still owed (see {@link FireTimes})
 * @param nextFire the first fire time after {@code since}: when a node should next look at it
 * @param version incremented by every write; 0 for a schedule not yet stored
 * @param updatedAt when the schedule was last written
 */
public record Schedule(
    String name,
    Recurrence recurrence,
    MisfirePolicy misfire,
    TaskSpec spec,
    Instant createdAt,
    Instant since,
    Instant nextFire,
    long version,
    Instant updatedAt) {

  /**
   * Longest name: the idempotency key of a fire, {@code schedule:<name>:<fire time>}, must stay
   * within the 200 characters a task's key may have.
   */
  public static final int MAX_NAME_LENGTH = 150;

  /** The label every task of a schedule carries, set to the schedule's name. */
  public static final String LABEL = "schedule";

  /** The label every task of a schedule carries, set to its fire time (ISO-8601, UTC). */
  public static final String FIRE_TIME_LABEL = "scheduledFor";

  public Schedule {
    checkName(name);
    Objects.requireNonNull(recurrence, "recurrence");
    Objects.requireNonNull(misfire, "misfire");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(nextFire, "nextFire");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative: " + version);
    }
  }

  /**
   * Checks a schedule's name.
   *
   * @throws InvalidScheduleException when it is null, blank, longer than {@value #MAX_NAME_LENGTH}
   *     characters, or holds text no store keeps (U+0000, unpaired surrogates)
   */
  public static String checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidScheduleException("a schedule needs a name that is not blank");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new InvalidScheduleException(
          "a schedule's name is at most " + MAX_NAME_LENGTH + " characters: " + name.length());
    }
    if (!Texts.isStorable(name)) {
      throw new InvalidScheduleException(
          "a schedule's name contains U+0000 or an unpaired surrogate");
    }
    return name;
  }

  /** The idempotency key of the task for one fire time: {@code schedule:<name>:<fire time>}. */
  public static String idempotencyKey(String name, Instant fireTime) {
    return "schedule:" + name + ":" + fireTime;
  }

  /** {@link Recurrence#describe()} of the recurrence, for display. */
  public String description() {
    return recurrence.describe();
  }

  /** The same schedule after a fire time was handled: {@code since} moved to it. */
  public Schedule advancedTo(Instant newSince, Instant newNextFire, Instant now) {
    return new Schedule(
        name, recurrence, misfire, spec, createdAt, newSince, newNextFire, version, now);
  }

  /** This schedule as a store holds it at another version. */
  public Schedule withVersion(long newVersion) {
    return new Schedule(
        name, recurrence, misfire, spec, createdAt, since, nextFire, newVersion, updatedAt);
  }
}

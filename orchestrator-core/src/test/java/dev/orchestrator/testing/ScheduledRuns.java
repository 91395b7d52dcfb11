package dev.orchestrator.testing;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** What the multi-node schedule tests read back: a schedule's tasks, by the time they fired for. */
public final class ScheduledRuns {
  private ScheduledRuns() {}

  /** The schedule's tasks once every one of them completed (within a minute). */
  public static List<Task> completed(Orchestrator node, String schedule) {
    return Waits.value(
        "every task of the schedule completed",
        Duration.ofSeconds(60),
        () -> {
          List<Task> all = node.scheduledTasks(schedule, 1000);
          return all.stream().allMatch(t -> t.status() == TaskStatus.COMPLETED) ? all : null;
        });
  }

  /** How many tasks each fire time has, in time order. */
  public static TreeMap<Instant, Long> perFireTime(List<Task> tasks) {
    return tasks.stream()
        .collect(
            Collectors.groupingBy(
                t -> Instant.parse(t.labels().get(Schedule.FIRE_TIME_LABEL)),
                TreeMap::new,
                Collectors.counting()));
  }
}

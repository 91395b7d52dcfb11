package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes on PostgreSQL with the Redis queue and event bus run one schedule every second for 10
 * s of real time: one task per fire time, no second missing between the first and the last, each
 * dispatched through Redis and completed.
 */
class ScheduleOnRedisTest {
  private static final Duration RUN = Duration.ofSeconds(10);
  private static final String NAME = "every-second";

  private RedisCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeNodesSubmitExactlyOneTaskPerFireTime() throws Exception {
    cluster = new RedisCluster(getClass(), RedisTestServer.url());
    List<Orchestrator> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(cluster.start("node-" + i, b -> b.workers(2)));
    }
    nodes.get(0).schedule(NAME, Duration.ofSeconds(1), TaskSpec.prompt("tick").build());
    Thread.sleep(RUN.toMillis());
    nodes.get(2).unschedule(NAME);

    List<Task> tasks =
        Waits.value(
            "every task of the schedule completed",
            Duration.ofSeconds(60),
            () -> {
              List<Task> all = nodes.get(1).scheduledTasks(NAME, 1000);
              return all.stream().allMatch(t -> t.status() == TaskStatus.COMPLETED) ? all : null;
            });
    TreeMap<Instant, Long> perFireTime =
        tasks.stream()
            .collect(
                Collectors.groupingBy(
                    t -> Instant.parse(t.labels().get(Schedule.FIRE_TIME_LABEL)),
                    TreeMap::new,
                    Collectors.counting()));
    long span = Duration.between(perFireTime.firstKey(), perFireTime.lastKey()).toSeconds() + 1;
    System.out.printf(
        "schedule on 3 nodes with Redis for %s: %d fire times, %d tasks, span %d s%n",
        RUN, perFireTime.size(), tasks.size(), span);
    assertEquals(tasks.size(), perFireTime.size(), "fire times with two tasks: " + perFireTime);
    assertEquals(span, perFireTime.size(), "a second between the first and last fire is missing");
    assertTrue(perFireTime.size() >= RUN.toSeconds() - 2, perFireTime.size() + " fire times");
  }
}

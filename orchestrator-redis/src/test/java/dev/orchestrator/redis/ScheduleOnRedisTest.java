package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.testing.ScheduledRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
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

    List<Task> tasks = ScheduledRuns.completed(nodes.get(1), NAME);
    TreeMap<Instant, Long> perFireTime = ScheduledRuns.perFireTime(tasks);
    long span = Duration.between(perFireTime.firstKey(), perFireTime.lastKey()).toSeconds() + 1;
    System.out.printf(
        "schedule on 3 nodes with Redis for %s: %d fire times, %d tasks, span %d s%n",
        RUN, perFireTime.size(), tasks.size(), span);
    assertEquals(tasks.size(), perFireTime.size(), "fire times with two tasks: " + perFireTime);
    assertEquals(span, perFireTime.size(), "a second between the first and last fire is missing");
    assertTrue(perFireTime.size() >= RUN.toSeconds() - 2, perFireTime.size() + " fire times");
  }
}

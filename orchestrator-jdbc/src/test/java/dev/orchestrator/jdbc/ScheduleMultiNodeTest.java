package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.DelegatingTaskStore;
import dev.orchestrator.testing.ScheduledRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes on one database, each with its own pool and store, run one schedule that fires every
 * second for 20 s of real time, with no leader: each fire time has exactly one task, no second
 * between the first and the last fire is missing, and every task completes.
 */
class ScheduleMultiNodeTest {
  private static final int NODES = 3;
  private static final Duration RUN = Duration.ofSeconds(20);
  private static final String NAME = "every-second";

  private PostgresCluster cluster;
  private final Counts[] counts = new Counts[NODES];

  /** What one node's schedule loop did, as its store saw it. */
  static final class Counts {
    final AtomicInteger inserted = new AtomicInteger();
    final AtomicInteger replayed = new AtomicInteger();
    final AtomicInteger advanced = new AtomicInteger();
    final AtomicInteger lost = new AtomicInteger();
  }

  /** Counts a node's schedule fires: tasks it inserted, keys it found taken, advances won, lost. */
  static final class CountingStore extends DelegatingTaskStore {
    private final Counts counts;

    CountingStore(TaskStore delegate, Counts counts) {
      super(delegate);
      this.counts = counts;
    }

    @Override
    public List<Task> insert(List<Task> tasks) {
      List<Task> stored = super.insert(tasks);
      for (int i = 0; i < tasks.size(); i++) {
        String key = tasks.get(i).idempotencyKey();
        if (key != null && key.startsWith("schedule:")) {
          boolean mine = stored.get(i).id().equals(tasks.get(i).id());
          (mine ? counts.inserted : counts.replayed).incrementAndGet();
        }
      }
      return stored;
    }

    @Override
    public Optional<Schedule> advanceSchedule(
        String name, long expectedVersion, Instant since, Instant nextFire, Instant now) {
      Optional<Schedule> r = super.advanceSchedule(name, expectedVersion, since, nextFire, now);
      (r.isPresent() ? counts.advanced : counts.lost).incrementAndGet();
      return r;
    }
  }

  @AfterEach
  void stopNodes() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeNodesSubmitExactlyOneTaskPerFireTime() throws Exception {
    cluster = new PostgresCluster(getClass());
    for (int i = 0; i < NODES; i++) {
      Counts c = counts[i] = new Counts();
      String id = "node-" + i;
      cluster.start(
          PostgresTestDatabase.url(),
          6,
          (store, source) ->
              Orchestrator.builder()
                  .store(new CountingStore(store, c))
                  .queue(source)
                  .nodeId(id)
                  .workers(4)
                  .build()
                  .start());
    }
    Instant created = cluster.node(0).schedule(NAME, Duration.ofSeconds(1), spec()).createdAt();
    Thread.sleep(RUN.toMillis());
    cluster.node(1).unschedule(NAME);
    Instant removed = Instant.now();

    List<Task> tasks = ScheduledRuns.completed(cluster.node(2), NAME);
    TreeMap<Instant, Long> perFireTime = ScheduledRuns.perFireTime(tasks);
    long duplicates = perFireTime.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
    Instant first = perFireTime.firstKey();
    Instant last = perFireTime.lastKey();
    long span = Duration.between(first, last).toSeconds() + 1;
    long lateMillis =
        tasks.stream()
            .mapToLong(
                t ->
                    Duration.between(
                            Instant.parse(t.labels().get(Schedule.FIRE_TIME_LABEL)), t.createdAt())
                        .toMillis())
            .max()
            .orElse(0);
    StringBuilder perNode = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      perNode.append(
          String.format(
              " node-%d: %d inserted, %d found taken, %d advances won, %d lost;",
              i,
              counts[i].inserted.get(),
              counts[i].replayed.get(),
              counts[i].advanced.get(),
              counts[i].lost.get()));
    }
    System.out.printf(
        "schedule on %d nodes for %s: %d fire times %s..%s (span %d s), %d tasks, %d duplicates,"
            + " latest submit %d ms after its fire time;%s%n",
        NODES,
        RUN,
        perFireTime.size(),
        first,
        last,
        span,
        tasks.size(),
        duplicates,
        lateMillis,
        perNode);

    assertEquals(0, duplicates, "fire times with more than one task: " + perFireTime);
    assertEquals(span, perFireTime.size(), "a second between the first and last fire is missing");
    assertEquals(tasks.size(), perFireTime.size());
    // the edges: the first fire is the first whole second after creation, the last one before
    // removal at the latest
    assertTrue(!first.isAfter(created.plusSeconds(2)), "first fire " + first + " after " + created);
    assertTrue(!last.isAfter(removed), "a fire after the schedule was removed: " + last);
    assertTrue(
        perFireTime.size() >= RUN.toSeconds() - 2, perFireTime.size() + " fire times in " + RUN);
    int inserted = 0;
    for (Counts c : counts) {
      inserted += c.inserted.get();
    }
    assertEquals(tasks.size(), inserted, "tasks inserted by the nodes' schedule loops");

    // the database agrees: no two tasks hold one fire time of the schedule
    Jdbc jdbc = new Jdbc(cluster.admin());
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT labels->>'scheduledFor' FROM "
                + cluster.prefix()
                + "task_specs WHERE labels->>'schedule' = ?"
                + " GROUP BY 1 HAVING count(*) > 1",
            rs -> rs.getString(1),
            NAME));
  }

  private static TaskSpec spec() {
    return TaskSpec.prompt("tick").name("tick").build();
  }
}

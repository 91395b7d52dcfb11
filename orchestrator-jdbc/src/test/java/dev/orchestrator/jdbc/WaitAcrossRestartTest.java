package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run whose step waits for a signal survives a restart of every node: the wait is a row in
 * PostgreSQL, not a thread, so nodes started afresh on the same tables take the signal and finish
 * the run.
 */
class WaitAcrossRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** One node: its own pool, store and work source on the shared tables, closed together. */
  private record Node(PostgresTaskStore store, PostgresWorkSource source, Orchestrator node)
      implements AutoCloseable {
    static Node start(String prefix, String id) {
      PostgresTaskStore store =
          PostgresTaskStore.builder()
              .jdbcUrl(PostgresTestDatabase.url(), null, null)
              .maximumPoolSize(4)
              .tablePrefix(prefix)
              .build();
      PostgresWorkSource source = PostgresWorkSource.of(store);
      Orchestrator node =
          Orchestrator.builder()
              .store(store)
              .queue(source)
              .nodeId(id)
              .workers(2)
              .schedulerMaxIdle(Duration.ofMillis(50))
              // a draft that spawns the step publishing it, once approved
              .handler(
                  "draft",
                  ctx -> {
                    ctx.spawn(TaskSpec.builder().type("publish").prompt("publish").build());
                    return HandlerResult.of("drafted");
                  })
              .handler(
                  "publish",
                  ctx ->
                      ctx.signal("approval")
                          .map(p -> HandlerResult.of("published: " + p))
                          .orElseGet(
                              () -> HandlerResult.awaitSignal("approval", Duration.ofHours(1))))
              .build()
              .start();
      return new Node(store, source, node);
    }

    @Override
    public void close() {
      node.close();
      source.close();
      store.close();
    }
  }

  @Test
  void aRunWaitingForASignalSurvivesARestartOfEveryNode() throws Exception {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try (HikariDataSource admin = PostgresTestDatabase.dataSource(2)) {
      try {
        UUID run;
        UUID publish;
        List<Node> first = new ArrayList<>();
        try {
          first.add(Node.start(prefix, "first-0"));
          first.add(Node.start(prefix, "first-1"));
          run =
              first.get(0).node().submit(TaskSpec.builder().type("draft").prompt("d").build()).id();
          publish =
              Waits.value(
                  "the publishing step waits for its approval",
                  WAIT,
                  () -> waiting(first.get(1).node(), run).map(Task::id).orElse(null));
        } finally {
          first.forEach(Node::close);
        }

        // every node is gone: the wait is only a row
        PostgresTaskStore reader =
            PostgresTaskStore.builder().dataSource(admin).tablePrefix(prefix).build();
        Task asleep = reader.get(publish).orElseThrow();
        assertEquals(TaskStatus.SCHEDULED, asleep.status());
        assertEquals("approval", asleep.awaiting());
        assertEquals(run, asleep.rootId());

        try (Node second = Node.start(prefix, "second-0")) {
          assertTrue(second.node().signal(run, "approval", "yes"));
          Task done = second.node().await(publish).get(WAIT.toSeconds(), TimeUnit.SECONDS);
          assertEquals(TaskStatus.COMPLETED, done.status());
          assertEquals("published: yes", done.output());
          assertEquals(1, done.attempt(), "the wait did not count as an attempt");
        }
      } finally {
        PostgresTestDatabase.drop(admin, prefix);
      }
    }
  }

  /** The run's task that waits for its approval, if one does. */
  private static Optional<Task> waiting(Orchestrator node, UUID run) {
    return node
        .list(TaskQuery.builder().root(run).status(TaskStatus.SCHEDULED).build())
        .items()
        .stream()
        .filter(t -> "approval".equals(t.awaiting()))
        .findFirst();
  }
}

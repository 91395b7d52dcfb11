package dev.orchestrator.jdbc;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.llm.MockLlmClient;
import java.time.Duration;

/**
 * A worker node in a JVM of its own, for {@link CrashRecoveryTest} to kill: it claims tasks and
 * holds them RUNNING (its model answers only after an hour) until it is killed.
 *
 * <p>Arguments: JDBC URL, table prefix, node id, workers, lease duration in milliseconds.
 */
public final class WorkerProcess {
  private WorkerProcess() {}

  public static void main(String[] args) throws InterruptedException {
    PostgresTaskStore store =
        PostgresTaskStore.builder().jdbcUrl(args[0], null, null).tablePrefix(args[1]).build();
    Duration lease = Duration.ofMillis(Long.parseLong(args[4]));
    Orchestrator node =
        Orchestrator.builder()
            .store(store)
            .queue(PostgresWorkSource.of(store))
            .llm(MockLlmClient.builder().latency(Duration.ofHours(1)).build())
            .nodeId(args[2])
            .workers(Integer.parseInt(args[3]))
            .leaseDuration(lease)
            .heartbeatInterval(lease.dividedBy(3))
            .build()
            .start();
    System.out.println("worker " + node.nodeId() + " started");
    Thread.sleep(Long.MAX_VALUE);
  }
}

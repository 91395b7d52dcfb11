package dev.orchestrator.spring;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.util.UUID;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The orchestrator's health for Actuator: DOWN when its store does not answer (one primary-key
 * read), UP otherwise, with the node, its running attempts and which store, queue and LLM client it
 * runs on. The model is not called (that costs); a Redis queue that lost Redis falls back to the
 * store, so it does not make the node DOWN.
 */
public class OrchestratorHealthIndicator implements HealthIndicator {
  private static final UUID PROBE = new UUID(0, 0);

  private final Orchestrator orchestrator;
  private final TaskStore store;
  private final TaskQueue queue;
  private final LlmClient llm;

  public OrchestratorHealthIndicator(
      Orchestrator orchestrator, TaskStore store, TaskQueue queue, LlmClient llm) {
    this.orchestrator = orchestrator;
    this.store = store;
    this.queue = queue;
    this.llm = llm;
  }

  @Override
  public Health health() {
    Health.Builder health =
        Health.up()
            .withDetail("node", orchestrator.nodeId())
            .withDetail("running", orchestrator.runningCount())
            .withDetail("store", store.getClass().getSimpleName())
            .withDetail("queue", queue.getClass().getSimpleName())
            .withDetail("llm", llm.getClass().getSimpleName());
    try {
      store.get(PROBE);
    } catch (RuntimeException e) {
      return health.down(e).build();
    }
    return health.build();
  }
}

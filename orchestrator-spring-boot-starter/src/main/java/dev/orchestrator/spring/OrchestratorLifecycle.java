package dev.orchestrator.spring;

import dev.orchestrator.Orchestrator;
import org.springframework.context.SmartLifecycle;

/**
 * Binds the orchestrator's workers to the application context: they start once the context is ready
 * (so handlers and listeners that are beans exist), and drain on shutdown (running attempts finish
 * within the grace period, the rest go back to the queue without counting their attempt). With
 * {@code orchestrator.worker.enabled=false} the node never starts workers: it submits and serves
 * the API only.
 */
public class OrchestratorLifecycle implements SmartLifecycle {
  /**
   * Starts before the web server (whose phases are {@code DEFAULT_PHASE - 2048} and {@code - 1024})
   * and stops after it, so no request reaches a closed orchestrator.
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final Orchestrator orchestrator;
  private final boolean workers;
  private volatile boolean running;

  public OrchestratorLifecycle(Orchestrator orchestrator, boolean workers) {
    this.orchestrator = orchestrator;
    this.workers = workers;
  }

  @Override
  public void start() {
    if (workers) {
      orchestrator.start();
    }
    running = true;
  }

  @Override
  public void stop() {
    orchestrator.close();
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}

package dev.orchestrator.runtime;

import dev.orchestrator.llm.PriceTable;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.retry.ErrorClassifier;
import dev.orchestrator.spi.EventBus;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.TaskHandler;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's runtime: workers, scheduler, recurring schedules, heartbeat, reaper and reconciler
 * around one store and queue. {@link dev.orchestrator.Orchestrator} starts one per instance.
 * Internal.
 */
public final class Node implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final RuntimeSettings settings;
  private final TaskStore store;
  private final Transitioner transitioner;
  private final WorkerPool workers;
  private final Scheduler scheduler;
  private final Reaper reaper;
  private final Reconciler reconciler;
  private final ScheduleLoop schedules;
  private final ScheduledExecutorService maintenance;
  private final ScheduledExecutorService timer;
  private final GroupCommit commits;
  private final EventBus bus;
  private AutoCloseable subscription;

  /** The parts a node runs with. */
  public record Parts(
      TaskStore store,
      TaskQueue queue,
      EventBus bus,
      Transitioner transitioner,
      LlmClient llm,
      RateLimiter rateLimiter,
      RateLimiter startLimiter,
      PriceTable prices,
      MetricsRecorder metrics,
      ErrorClassifier classifier,
      Map<String, TaskHandler> handlers,
      ScheduleLoop schedules,
      TaskFactory factory) {}

  public Node(RuntimeSettings settings, Parts parts) {
    this.settings = settings;
    this.store = parts.store();
    this.bus = parts.bus();
    this.transitioner = parts.transitioner();
    this.maintenance = singleThread("orchestrator-maintenance-" + settings.nodeId());
    this.timer = singleThread("orchestrator-timeouts-" + settings.nodeId());
    this.commits = new GroupCommit(transitioner, settings.batchSize(), settings.nodeId());
    TaskRunner runner =
        new TaskRunner(
            transitioner,
            parts.handlers(),
            parts.classifier(),
            parts.llm(),
            parts.rateLimiter(),
            parts.startLimiter(),
            parts.prices(),
            parts.metrics(),
            timer,
            commits,
            parts.factory());
    this.workers = new WorkerPool(settings, store, parts.queue(), transitioner, runner);
    this.scheduler = new Scheduler(store, transitioner, settings);
    this.reaper = new Reaper(store, transitioner, settings.batchSize());
    this.reconciler =
        new Reconciler(store, transitioner, settings.reconcileAfter(), settings.batchSize());
    this.schedules = parts.schedules();
    parts.metrics().bindStatusCounts(store::countByStatus);
  }

  /**
   * One thread for scheduled jobs. A cancelled job leaves its queue at once: every attempt
   * schedules its timeout here and cancels it when it ends, and those would otherwise stay queued
   * (holding their attempt) until the timeout's time.
   */
  private static ScheduledExecutorService singleThread(String name) {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  public void start() {
    subscription = bus.subscribe(workers::onEvent);
    commits.start();
    workers.start();
    scheduler.start();
    schedules.start();
    Instant startedAt = transitioner.clock().now();
    Runnable alive =
        () ->
            store.recordNode(
                settings.nodeId(), startedAt, transitioner.clock().now(), workers.runningCount());
    alive.run();
    every(settings.heartbeatInterval(), workers::heartbeat, "heartbeat");
    every(settings.heartbeatInterval(), alive, "node heartbeat");
    every(settings.reaperInterval(), reaper::reap, "reaper");
    every(settings.reconcileInterval(), reconciler::reconcile, "reconciler");
    if (settings.retention() != null) {
      every(
          settings.reconcileInterval(),
          () ->
              store.purgeTerminal(
                  transitioner.clock().now().minus(settings.retention()), settings.batchSize()),
          "retention");
    }
  }

  private void every(Duration interval, Runnable job, String name) {
    maintenance.scheduleWithFixedDelay(
        () -> {
          try {
            job.run();
          } catch (RuntimeException e) {
            log.warn("{} step failed; it runs again in {}", name, interval, e);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Attempts running on this node now. */
  public int runningCount() {
    return workers.runningCount();
  }

  /**
   * Graceful shutdown: stop claiming, let running attempts finish within the grace period, give the
   * rest back to the queue without counting their attempt.
   */
  @Override
  public void close() {
    workers.stopAccepting();
    try {
      scheduler.stop();
      schedules.stop();
      workers.drain(settings.shutdownGrace());
      commits.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      maintenance.shutdownNow();
      timer.shutdownNow();
      try {
        store.forgetNode(settings.nodeId());
      } catch (RuntimeException e) {
        log.debug("could not remove node {} from the store", settings.nodeId(), e);
      }
      if (subscription != null) {
        try {
          subscription.close();
        } catch (Exception e) {
          log.debug("unsubscribe failed", e);
        }
      }
    }
  }
}

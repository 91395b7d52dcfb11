package dev.orchestrator.runtime;

import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.Route;
import java.time.Duration;

/**
 * The runtime's tuning, validated by the orchestrator's builder.
 *
 * @param nodeId this node's name in leases and attempt records
 * @param workers attempts run at once on this node
 * @param leaseDuration how long a claim holds without renewal
 * @param heartbeatInterval how often the node renews all its leases
 * @param reaperInterval how often the node looks for expired leases
 * @param reconcileInterval how often QUEUED tasks nobody claimed are offered again
 * @param reconcileAfter how long a task may sit QUEUED (or PENDING) before the reconciler acts
 * @param pollInterval longest wait of a worker on the queue before it asks again
 * @param schedulerMaxIdle longest sleep of the scheduler (it wakes earlier for due tasks it knows)
 * @param shutdownGrace how long close() lets running attempts finish before releasing them
 * @param defaultTimeout attempt timeout of tasks that set none
 * @param defaultMaxAttempts attempt budget of tasks that set none
 * @param defaultRetry backoff of tasks that set none
 * @param batchSize most rows one promotion, reaping, reconciling or purging step handles
 * @param retention how long terminal tasks are kept, or null to keep them all
 * @param route the queues and task types this node claims
 * @param scheduleGrace how late a recurring schedule's fire may still run under {@code
 *     MisfirePolicy.SKIP}
 */
public record RuntimeSettings(
    String nodeId,
    int workers,
    Duration leaseDuration,
    Duration heartbeatInterval,
    Duration reaperInterval,
    Duration reconcileInterval,
    Duration reconcileAfter,
    Duration pollInterval,
    Duration schedulerMaxIdle,
    Duration shutdownGrace,
    Duration defaultTimeout,
    int defaultMaxAttempts,
    RetryPolicy defaultRetry,
    int batchSize,
    Duration retention,
    Route route,
    Duration scheduleGrace) {}

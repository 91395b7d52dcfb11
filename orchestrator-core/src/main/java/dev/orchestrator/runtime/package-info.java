/**
 * The runtime, internal: workers and dispatcher ({@code WorkerPool}), the attempt runner ({@code
 * TaskRunner}), the scheduler, heartbeat (in {@code WorkerPool}), reaper and reconciler, and the
 * {@code Transitioner} that applies every status change and its consequences.
 */
package dev.orchestrator.runtime;

/**
 * The public API: {@link dev.orchestrator.Orchestrator} (facade and builder), {@link
 * dev.orchestrator.TaskSpec}, {@link dev.orchestrator.Task}, {@link dev.orchestrator.TaskStatus}
 * and the errors.
 */
package dev.orchestrator;

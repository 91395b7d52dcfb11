/**
 * The ports: {@link dev.orchestrator.spi.TaskStore} (the authority), {@link
 * dev.orchestrator.spi.TaskQueue} (the work source), {@link dev.orchestrator.spi.LlmClient}, {@link
 * dev.orchestrator.spi.RateLimiter}, {@link dev.orchestrator.spi.EventBus}, {@link
 * dev.orchestrator.spi.Clock} and {@link dev.orchestrator.spi.TaskHandler}.
 */
package dev.orchestrator.spi;

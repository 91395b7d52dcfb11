/** Metrics: the recorder the runtime reports to (no-op by default) and its Micrometer binding. */
package dev.orchestrator.metrics;

/** In-memory store, queue and event bus: the embedded defaults, thread-safe, lost with the JVM. */
package dev.orchestrator.memory;

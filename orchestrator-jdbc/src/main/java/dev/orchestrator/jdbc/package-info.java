/** PostgreSQL adapters: the task store and the work source. */
package dev.orchestrator.jdbc;

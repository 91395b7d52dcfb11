/** The lifecycle: the transition table, attempt records and outcomes, events. */
package dev.orchestrator.lifecycle;

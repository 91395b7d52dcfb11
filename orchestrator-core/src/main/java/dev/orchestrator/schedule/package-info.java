/**
 * Recurring schedules: {@link dev.orchestrator.schedule.Schedule} (a named, durable recurrence and
 * the task each of its fire times submits, once across the cluster), the pure time computation:
 * {@link dev.orchestrator.schedule.Cron} expressions, {@link dev.orchestrator.schedule.Recurrence}
 * (a cron expression in a zone, or a fixed interval), and {@link
 * dev.orchestrator.schedule.FireTimes}, which tells what a schedule owes at a given moment under a
 * {@link dev.orchestrator.schedule.MisfirePolicy}. {@code Orchestrator.schedule} creates them;
 * every started node's runtime fires them.
 */
package dev.orchestrator.schedule;

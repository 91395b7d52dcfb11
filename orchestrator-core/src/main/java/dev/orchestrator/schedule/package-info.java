/**
 * Recurring schedules, the pure time computation: {@link dev.orchestrator.schedule.Cron}
 * expressions, {@link dev.orchestrator.schedule.Recurrence} (a cron expression in a zone, or a
 * fixed interval), and {@link dev.orchestrator.schedule.FireTimes}, which tells what a schedule
 * owes at a given moment under a {@link dev.orchestrator.schedule.MisfirePolicy}.
 */
package dev.orchestrator.schedule;

package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One attempt running on this node, and the one-way switch that decides whether it was stopped from
 * outside (cancel, timeout, lost lease, shutdown) or finished by its worker. The switch is taken
 * under the run's monitor, so an interrupt never lands once the worker is writing its result.
 */
final class TaskRun {
  /** Why an attempt was stopped from outside. */
  enum StopReason {
    CANCELLED,
    TIMED_OUT,
    LEASE_LOST,
    SHUTDOWN
  }

  private final Task task;
  private final CompletableFuture<Optional<Task>> outsideEnding = new CompletableFuture<>();
  private Thread thread;
  private boolean finishing;
  private StopReason stopReason;

  TaskRun(Task task) {
    this.task = task;
  }

  /** Binds the run to the worker thread; interrupts it at once if the run was already stopped. */
  synchronized void bind(Thread worker) {
    thread = worker;
    if (stopReason != null) {
      worker.interrupt();
    }
  }

  Task task() {
    return task;
  }

  /** Interrupts the handler unless its worker already took the switch. */
  synchronized boolean stop(StopReason reason) {
    if (finishing || stopReason != null) {
      return false;
    }
    stopReason = reason;
    if (thread != null) {
      thread.interrupt();
    }
    return true;
  }

  /**
   * Called by the worker when the handler returned or threw: takes the switch, clears a pending
   * interrupt, and tells why the attempt was stopped, or null when it was not.
   */
  StopReason finish() {
    synchronized (this) {
      finishing = true;
    }
    if (stopReason != null) {
      Thread.interrupted();
    }
    return stopReason;
  }

  synchronized boolean isStopped() {
    return stopReason != null;
  }

  /**
   * The write of the ending that whoever stopped the attempt recorded at once (a timeout), for the
   * worker to wait on before it keeps its late result on the attempt record.
   */
  CompletableFuture<Optional<Task>> outsideEnding() {
    return outsideEnding;
  }
}

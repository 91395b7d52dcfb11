package dev.orchestrator.examples.benchmark;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * A system under test: the orchestrator on one of its stores ({@link OrchestratorSubject}) or a
 * peer ({@link PeerSubject}). {@link Scenarios} drives each through the same phases.
 */
interface Subject {
  /** As in the RESULT line: {@code orchestrator-postgres}, {@code db-scheduler}, ... */
  String impl();

  /** How it is configured, for the output. */
  String settings(int workers);

  /** The database it works on, or null (in memory). */
  Postgres postgres();

  /** Counts its JDBC statements, or null when they are not counted. */
  LongAdder statements();

  /** An SQL condition on {@code pg_stat_user_tables} that picks its tables. */
  String tables();

  /** Drops and creates its tables on one-off connections, all closed when this returns. */
  void prepare() throws Exception;

  /**
   * Starts a phase on the prepared tables.
   *
   * @param runners nodes started with {@code workers} workers each (0: none, nothing runs)
   * @param submitter whether single submits go through a node of their own that runs nothing
   */
  Phase open(int runners, int workers, boolean submitter) throws Exception;

  /** Drops its tables (after the phase's cost was read). */
  void drop() throws Exception;

  /** The kind of task. */
  enum Work {
    /** Does nothing; for the orchestrator an LLM task answered at once by the mock model. */
    NOOP,
    /** {@link Probe#run} with the task's number: notes its start, sleeps as asked. */
    PROBE
  }

  /** One phase: nodes running on fresh tables; closing it stops them and closes their pools. */
  interface Phase extends AutoCloseable {
    /**
     * Submits tasks numbered [first, first + count) with one call of the batch API, as the given
     * tenant (the orchestrator's owner; the peers have no tenants and ignore it), or none (null).
     */
    void submit(Work work, int first, int count, String tenant) throws Exception;

    default void submit(Work work, int first, int count) throws Exception {
      submit(work, first, count, null);
    }

    /** Submits task n alone, through the submitting node when there is one, as the tenant. */
    void submitOne(Work work, int n, String tenant) throws Exception;

    default void submitOne(Work work, int n) throws Exception {
      submitOne(work, n, null);
    }

    /**
     * Waits until this many tasks of the phase have completed.
     *
     * @return System.nanoTime() when the last of them was seen completed
     * @throws Workload.Failed when a task failed or the timeout passed first
     */
    long awaitDone(long count, Duration timeout) throws Exception;

    /**
     * Checks the system's own records against what was submitted.
     *
     * @param ran whether every task should have run and completed (else all are still queued)
     * @throws Workload.Failed on any mismatch
     */
    void check(long submitted, boolean ran) throws Exception;

    /** Tasks submitted in this phase. */
    long submitted();

    /** Stops the nodes and closes their pools and clients. */
    @Override
    void close();
  }
}

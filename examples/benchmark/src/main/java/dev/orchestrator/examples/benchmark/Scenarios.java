package dev.orchestrator.examples.benchmark;

import static dev.orchestrator.examples.benchmark.Workload.BATCH;
import static dev.orchestrator.examples.benchmark.Workload.IO_SLEEP;
import static dev.orchestrator.examples.benchmark.Workload.LATENCY_GAP;
import static dev.orchestrator.examples.benchmark.Workload.LATENCY_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.RUN_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.SUBMIT_WARM_UP;
import static dev.orchestrator.examples.benchmark.Workload.deadline;
import static dev.orchestrator.examples.benchmark.Workload.millis;
import static dev.orchestrator.examples.benchmark.Workload.percentile;
import static dev.orchestrator.examples.benchmark.Workload.rate;
import static dev.orchestrator.examples.benchmark.Workload.seconds;

import dev.orchestrator.examples.benchmark.Subject.Phase;
import dev.orchestrator.examples.benchmark.Subject.Work;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The scenarios every system under test runs, each a few phases on fresh tables. */
final class Scenarios {
  private Scenarios() {}

  /** What a phase measured, and what it cost the database (null in memory). */
  record Measured<T>(T value, PgCost.Cost cost) {}

  @FunctionalInterface
  interface Body<T> {
    T run(Phase phase) throws Exception;
  }

  /**
   * Runs one phase: fresh tables, the cost's first reading, the nodes, the body; then the nodes and
   * their pools closed, the cost's second reading, the tables dropped.
   */
  static <T> Measured<T> measure(
      Subject subject, int runners, int workers, boolean submitter, Body<T> body) throws Exception {
    subject.prepare();
    try (PgCost cost =
        subject.postgres() == null
            ? null
            : PgCost.begin(subject.postgres(), subject.statements(), subject.tables())) {
      T value;
      long tasks;
      try (Phase phase = subject.open(runners, workers, submitter)) {
        value = body.run(phase);
        tasks = phase.submitted();
      }
      return new Measured<>(value, cost == null ? null : cost.end(tasks));
    } finally {
      subject.drop();
    }
  }

  /** Submits tasks numbered [first, first + count) in batches of {@link Workload#BATCH}. */
  static void submitAll(Phase phase, Work work, int first, int count) throws Exception {
    for (int i = first; i < first + count; i += BATCH) {
      phase.submit(work, i, Math.min(BATCH, first + count - i));
    }
  }

  /**
   * {@code throughput}: a submit-only phase (nothing running: {@value Workload#SUBMIT_WARM_UP}
   * untimed, then n timed) for enqueue_per_s, then an end-to-end phase (one node with {@code
   * workers} workers; {@value Workload#RUN_WARM_UP} tasks run untimed, then n timed from the first
   * submit call until the last completion) for e2e_per_s.
   */
  static void throughput(Subject subject, Report report, int n, int workers) throws Exception {
    Probe.reset(Duration.ZERO);
    Measured<Double> submit =
        measure(
            subject,
            0,
            workers,
            false,
            phase -> {
              submitAll(phase, Work.NOOP, 0, SUBMIT_WARM_UP);
              long start = System.nanoTime();
              submitAll(phase, Work.NOOP, SUBMIT_WARM_UP, n);
              double rate = n / seconds(start);
              phase.check(SUBMIT_WARM_UP + n, false);
              return rate;
            });
    report.add(
        "submit only: %,d tasks in batches of %,d after %,d untimed, nothing running"
            .formatted(n, BATCH, SUBMIT_WARM_UP),
        rate(submit.value()),
        submit.cost());

    int warmUp = Math.min(RUN_WARM_UP, n);
    Measured<double[]> run =
        measure(
            subject,
            1,
            workers,
            false,
            phase -> {
              Probe.reset(Duration.ZERO);
              submitAll(phase, Work.NOOP, 0, warmUp);
              phase.awaitDone(warmUp, deadline(warmUp));
              long start = System.nanoTime();
              submitAll(phase, Work.NOOP, warmUp, n);
              long submitted = System.nanoTime();
              long end = phase.awaitDone(warmUp + n, deadline(n));
              phase.check(warmUp + n, true);
              return new double[] {n / seconds(start, end), n / seconds(start, submitted)};
            });
    report.add(
        "end to end: %,d no-op tasks, 1 node, %d workers, after %,d untimed"
            .formatted(n, workers, warmUp),
        rate(run.value()[0]),
        run.cost());
    report.note(
        "end to end is n / (first submit call .. last task seen completed); its submit loop ran at "
            + rate(run.value()[1])
            + " meanwhile (enqueue_per_s is the submit-only phase)");
    report.result(n, Integer.toString(workers), submit.value(), run.value()[0], null, null);
  }

  /**
   * {@code latency}: single submits {@link Workload#LATENCY_GAP} apart (open loop: each at its
   * time, whether or not the one before started) through a node that runs nothing, run by a started
   * node; from just before the submit call to the first line of the handler, in this JVM. {@value
   * Workload#LATENCY_WARM_UP} untimed first.
   */
  static void latency(Subject subject, Report report, int samples, int workers) throws Exception {
    int total = LATENCY_WARM_UP + samples;
    Measured<long[]> measured =
        measure(
            subject,
            1,
            workers,
            true,
            phase -> {
              Probe.reset(Duration.ZERO);
              long[] submittedAt = new long[total];
              long first = System.nanoTime() + LATENCY_GAP.toNanos();
              for (int i = 0; i < total; i++) {
                Workload.sleepUntil(first + i * LATENCY_GAP.toNanos());
                submittedAt[i] = System.nanoTime();
                phase.submitOne(Work.PROBE, i);
              }
              Probe.awaitStarted(total, deadline(total));
              phase.awaitDone(total, deadline(total));
              phase.check(total, true);
              long[] nanos = new long[samples];
              for (int i = 0; i < samples; i++) {
                int n = LATENCY_WARM_UP + i;
                nanos[i] = Probe.startedAt(n) - submittedAt[n];
              }
              return nanos;
            });
    long[] nanos = measured.value();
    report.add(
        "submit on a second node to handler start, %d single tasks %d ms apart, after %d untimed"
            .formatted(samples, LATENCY_GAP.toMillis(), LATENCY_WARM_UP),
        Workload.latencies(nanos),
        measured.cost());
    report.result(
        samples,
        Integer.toString(workers),
        null,
        null,
        millis(percentile(nanos, 50)),
        millis(percentile(nanos, 99)));
  }

  /**
   * {@code io}: n tasks whose handler sleeps {@link Workload#IO_SLEEP}, on one node with each
   * worker count in turn; the rate from the first submit to the last completion, and the peak heap
   * used meanwhile.
   */
  static void io(Subject subject, Report report, int n, int[] workerCounts) throws Exception {
    for (int workers : workerCounts) {
      Measured<double[]> measured =
          measure(
              subject,
              1,
              workers,
              false,
              phase -> {
                Probe.reset(IO_SLEEP);
                try (HeapPeak heap = new HeapPeak()) {
                  long start = System.nanoTime();
                  submitAll(phase, Work.PROBE, 0, n);
                  long end = phase.awaitDone(n, deadline(n));
                  double rate = n / seconds(start, end);
                  double peak = heap.peakMegabytes();
                  phase.check(n, true);
                  return new double[] {rate, peak, heap.baseMegabytes};
                }
              });
      double[] v = measured.value();
      double bound = Math.min(workers, n) / (IO_SLEEP.toMillis() / 1000.0);
      report.add(
          "%,d tasks sleeping %d ms, 1 node, %,d workers (bound: %s)"
              .formatted(n, IO_SLEEP.toMillis(), workers, rate(bound)),
          rate(v[0])
              + String.format(
                  Locale.ROOT, ", peak heap used %.0f MB (%.0f MB before, after a GC)", v[1], v[2]),
          measured.cost());
      report.result(n, Integer.toString(workers), null, v[0], null, null);
    }
    report.note(
        "heap used: MemoryMXBean.getHeapMemoryUsage().getUsed(), sampled every 50 ms during the run");
  }

  /**
   * {@code fairness}: tenant a submits a backlog of n tasks (each sleeps {@link
   * Workload#FAIR_SLEEP}) on one node; once 100 of them have started, tenant b submits {@value
   * Workload#FAIR_SAMPLES} single tasks {@link Workload#FAIR_GAP} apart. Each of b's waits is from
   * just before its submit call to the first line of its handler; also counted: how many of a's
   * tasks started before it. The peers have no tenants: they serve in submit order.
   */
  static void fairness(Subject subject, Report report, int n, int workers) throws Exception {
    int samples = Workload.FAIR_SAMPLES;
    Measured<long[][]> measured =
        measure(
            subject,
            1,
            workers,
            false,
            phase -> {
              Probe.reset(Workload.FAIR_SLEEP);
              for (int i = 0; i < n; i += BATCH) {
                phase.submit(Work.PROBE, i, Math.min(BATCH, n - i), "tenant-a");
              }
              Probe.awaitStarted(Math.min(100, n), deadline(n));
              long[] submittedAt = new long[samples];
              long first = System.nanoTime();
              for (int i = 0; i < samples; i++) {
                Workload.sleepUntil(first + i * Workload.FAIR_GAP.toNanos());
                submittedAt[i] = System.nanoTime();
                phase.submitOne(Work.PROBE, n + i, "tenant-b");
              }
              phase.awaitDone(n + samples, deadline(n + samples));
              phase.check(n + samples, true);
              long[] waits = new long[samples];
              long[] ahead = new long[samples];
              for (int i = 0; i < samples; i++) {
                long started = Probe.startedAt(n + i);
                waits[i] = started - submittedAt[i];
                ahead[i] =
                    Probe.startedBefore(started, 0, n) - Probe.startedBefore(submittedAt[i], 0, n);
              }
              return new long[][] {waits, ahead};
            });
    long[] waits = measured.value()[0];
    long[] ahead = measured.value()[1];
    report.add(
        ("tenant b's %d single tasks %d ms apart, submitted once tenant a's backlog of %,d tasks"
                + " (%d ms each) was running, 1 node, %d workers: submit to handler start")
            .formatted(
                samples, Workload.FAIR_GAP.toMillis(), n, Workload.FAIR_SLEEP.toMillis(), workers),
        Workload.latencies(waits),
        measured.cost());
    report.note(
        "tenant a's tasks started between each of b's submits and its start: p50 %d, max %d (of %,d)"
            .formatted(percentile(ahead, 50), percentile(ahead, 100), n));
    report.result(
        n,
        Integer.toString(workers),
        null,
        null,
        millis(percentile(waits, 50)),
        millis(percentile(waits, 99)));
  }

  /** Samples the heap used every 50 ms while open, from a GC at the start. */
  static final class HeapPeak implements AutoCloseable {
    private static final double MB = 1024.0 * 1024.0;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final ScheduledExecutorService sampler;
    final double baseMegabytes;

    HeapPeak() {
      System.gc();
      baseMegabytes = memory.getHeapMemoryUsage().getUsed() / MB;
      sampler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "bench-heap-sampler");
                t.setDaemon(true);
                return t;
              });
      sampler.scheduleAtFixedRate(this::sample, 0, 50, TimeUnit.MILLISECONDS);
    }

    private void sample() {
      peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
    }

    double peakMegabytes() {
      sample();
      return peak.get() / MB;
    }

    @Override
    public void close() {
      sampler.shutdownNow();
    }
  }
}

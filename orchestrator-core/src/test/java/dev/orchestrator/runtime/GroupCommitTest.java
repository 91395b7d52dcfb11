package dev.orchestrator.runtime;

import static dev.orchestrator.testing.TestTasks.ROUTE;
import static dev.orchestrator.testing.TestTasks.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.ManualClock;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskUpdate;
import dev.orchestrator.testing.DelegatingTaskStore;
import dev.orchestrator.testing.TestTasks;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Attempt endings that arrive while a write is in flight share the next write. */
class GroupCommitTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void changesWaitingDuringAWriteShareTheNextOne() throws Exception {
    CountDownLatch firstWriteEntered = new CountDownLatch(1);
    CountDownLatch releaseFirstWrite = new CountDownLatch(1);
    List<Integer> writes = new CopyOnWriteArrayList<>();
    InMemoryTaskStore memory = new InMemoryTaskStore();
    DelegatingTaskStore store =
        new DelegatingTaskStore(memory) {
          @Override
          public List<Optional<Task>> updateAll(List<TaskUpdate> updates) {
            writes.add(updates.size());
            if (writes.size() == 1) {
              firstWriteEntered.countDown();
              try {
                releaseFirstWrite.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            }
            return super.updateAll(updates);
          }
        };
    ManualClock clock = new ManualClock(T0);
    Transitioner transitioner =
        new Transitioner(
            store,
            new InMemoryTaskQueue(),
            new InMemoryEventBus(),
            clock,
            MetricsRecorder.NOOP,
            RetryPolicy.DEFAULT);
    GroupCommit commits = new GroupCommit(transitioner, 500, "n");
    commits.start();

    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      tasks.add(TestTasks.queued());
    }
    memory.insert(tasks);
    List<Task> running = memory.claimNext(11, new Lease("n", T0, T0.plusSeconds(30)), ROUTE);
    ExecutorService workers = Executors.newFixedThreadPool(11);
    List<Future<Optional<Task>>> results = new ArrayList<>();
    results.add(workers.submit(() -> commits.apply(completion(running.get(0)))));
    assertTrue(firstWriteEntered.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    for (Task t : running.subList(1, 11)) {
      results.add(workers.submit(() -> commits.apply(completion(t))));
    }
    Waits.until("ten endings waiting", WAIT, () -> commits.waiting() == 10);
    releaseFirstWrite.countDown();
    for (Future<Optional<Task>> f : results) {
      assertEquals(
          TaskStatus.COMPLETED, f.get(WAIT.toSeconds(), TimeUnit.SECONDS).orElseThrow().status());
    }
    workers.shutdown();
    assertEquals(List.of(1, 10), writes, "the ten waiting endings must share one write");
    commits.close();
    // after close, changes go straight to the store
    Task lost = running.get(0);
    assertTrue(commits.apply(completion(lost)).isEmpty(), "a stale compare-and-set still loses");
    assertEquals(11L, memory.countByStatus().get(TaskStatus.COMPLETED));
  }

  private static TaskUpdate completion(Task running) {
    Task done =
        running.toBuilder()
            .status(TaskStatus.COMPLETED)
            .output("ok")
            .updatedAt(T0)
            .finishedAt(T0)
            .noLease()
            .build();
    Attempt record =
        new Attempt(
            running.id(),
            running.attempt(),
            "n",
            T0,
            T0,
            AttemptOutcome.SUCCEEDED,
            null,
            null,
            null,
            "ok");
    return new TaskUpdate(running, done, record, "done");
  }

  /**
   * An ending that lost its compare-and-set to a change that left the task QUEUED without telling
   * the queue (a claim a database crash forgot, or a reaper whose offer was lost) offers the task
   * again, so it waits for a worker, not for the reconciler.
   */
  @Test
  void anEndingThatLostToATaskLeftQueuedOffersItAgain() {
    InMemoryTaskStore store = new InMemoryTaskStore();
    List<Task> offered = new CopyOnWriteArrayList<>();
    TaskQueue queue =
        new TaskQueue() {
          @Override
          public void offer(Collection<Task> tasks) {
            offered.addAll(tasks);
          }

          @Override
          public List<Task> poll(Claimer claimer, int max, Duration maxWait) {
            return List.of();
          }

          @Override
          public void wakeUp() {}
        };
    ManualClock clock = new ManualClock(T0);
    Transitioner transitioner =
        new Transitioner(
            store, queue, new InMemoryEventBus(), clock, MetricsRecorder.NOOP, RetryPolicy.DEFAULT);
    Task queued = store.insert(List.of(TestTasks.queued())).get(0);
    Task running = store.claim(List.of(queued.id()), new Lease("n", T0, T0.plusSeconds(60))).get(0);
    Task requeued =
        store
            .update(
                new TaskUpdate(
                    running,
                    running.toBuilder().status(TaskStatus.QUEUED).noLease().build(),
                    null,
                    "moved on elsewhere"))
            .orElseThrow();

    List<Optional<Task>> results =
        transitioner.applyAll(
            List.of(
                new TaskUpdate(
                    running,
                    running.toBuilder().status(TaskStatus.COMPLETED).output("late").build(),
                    null,
                    "attempt 1 succeeded")));

    assertEquals(List.of(Optional.empty()), results, "the late ending lost");
    assertEquals(List.of(requeued.id()), offered.stream().map(Task::id).toList());
    assertEquals(TaskStatus.QUEUED, offered.get(0).status());
  }
}

package dev.orchestrator.runtime;

import static dev.orchestrator.testing.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskUpdate;
import dev.orchestrator.testing.TestTasks;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each task's events reach listeners in order, once, without gaps, whatever order they came in. */
class EventSequencerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InMemoryTaskStore store = new InMemoryTaskStore();
  private final List<TaskEvent> heard = new CopyOnWriteArrayList<>();
  private final EventSequencer sequencer =
      new EventSequencer(store, heard::add, Duration.ofMillis(50), "test");

  @AfterEach
  void close() {
    sequencer.close();
  }

  /** A task taken through QUEUED, RUNNING, SCHEDULED, QUEUED, RUNNING, COMPLETED in the store. */
  private List<TaskEvent> history() {
    Task t = store.insert(List.of(TestTasks.queued())).get(0);
    Instant now = TestTasks.T0;
    Task running = store.claimNext(1, new Lease("a", now, now.plusSeconds(30)), ROUTE).get(0);
    Task retry =
        store
            .update(
                new TaskUpdate(
                    running,
                    running.toBuilder()
                        .status(TaskStatus.SCHEDULED)
                        .runAt(now.plusSeconds(1))
                        .updatedAt(now.plusMillis(10))
                        .noLease()
                        .build(),
                    null,
                    "retry"))
            .orElseThrow();
    store.promoteDue(now.plusSeconds(1), 10);
    Task again =
        store.claimNext(1, new Lease("b", now.plusSeconds(2), now.plusSeconds(30)), ROUTE).get(0);
    store
        .update(
            new TaskUpdate(
                again,
                again.toBuilder()
                    .status(TaskStatus.COMPLETED)
                    .updatedAt(now.plusSeconds(3))
                    .finishedAt(now.plusSeconds(3))
                    .noLease()
                    .build(),
                null,
                "done"))
        .orElseThrow();
    List<TaskEvent> events = store.events(t.id());
    assertEquals(6, events.size(), events.toString());
    assertEquals(retry.version(), events.get(2).version());
    return events;
  }

  private void awaitHeard(int n) {
    Waits.until(n + " events heard, got " + heard, WAIT, () -> heard.size() >= n);
  }

  @Test
  void eventsThatArriveOutOfOrderAreDeliveredInOrder() {
    List<TaskEvent> h = history();
    for (int i : new int[] {0, 1, 3, 2, 5, 4}) {
      sequencer.accept(h.get(i));
    }
    awaitHeard(6);
    assertEquals(h, heard);
  }

  @Test
  void aChangeThatNeverArrivesIsReadFromTheStoreAndDeliveredInItsPlace() {
    List<TaskEvent> h = history();
    // events 2 and 3 were made on a node whose events this bus does not carry
    for (int i : new int[] {0, 1, 4, 5}) {
      sequencer.accept(h.get(i));
    }
    awaitHeard(6);
    assertEquals(h, heard);
  }

  @Test
  void aChangeThatComesAfterItWasReadFromTheStoreIsNotDeliveredTwice() {
    List<TaskEvent> h = history();
    sequencer.accept(h.get(0));
    sequencer.accept(h.get(2));
    awaitHeard(3); // 1 was read from the store
    sequencer.accept(h.get(1)); // the slow original
    sequencer.accept(h.get(3));
    sequencer.accept(h.get(4));
    sequencer.accept(h.get(5));
    awaitHeard(6);
    sequencer.close(); // delivers whatever is still queued
    assertEquals(h, heard);
  }

  @Test
  void aNoteFollowsTheChangeItWasMadeAfter() {
    List<TaskEvent> h = history();
    TaskEvent running = h.get(1);
    TaskEvent note =
        new TaskEvent(
            running.taskId(),
            TaskStatus.RUNNING,
            TaskStatus.RUNNING,
            running.at().plusMillis(1),
            1,
            "progress 50%",
            running.version());
    sequencer.accept(h.get(0));
    sequencer.accept(note); // made in RUNNING, arrives before the claim
    sequencer.accept(h.get(1));
    awaitHeard(3);
    assertEquals(List.of(h.get(0), h.get(1), note), heard);
  }
}

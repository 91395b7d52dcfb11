package dev.orchestrator.lifecycle;

import static dev.orchestrator.TaskStatus.CANCELLED;
import static dev.orchestrator.TaskStatus.COMPLETED;
import static dev.orchestrator.TaskStatus.FAILED;
import static dev.orchestrator.TaskStatus.PENDING;
import static dev.orchestrator.TaskStatus.QUEUED;
import static dev.orchestrator.TaskStatus.RUNNING;
import static dev.orchestrator.TaskStatus.SCHEDULED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.spi.TaskUpdate;
import dev.orchestrator.testing.TestTasks;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransitionsTest {
  /** DESIGN.md's diagram, written out once more by hand: the table must say exactly this. */
  private static final Map<TaskStatus, Set<TaskStatus>> DESIGN =
      Map.of(
          PENDING, EnumSet.of(QUEUED, SCHEDULED, CANCELLED),
          SCHEDULED, EnumSet.of(QUEUED, CANCELLED),
          QUEUED, EnumSet.of(RUNNING, CANCELLED),
          RUNNING, EnumSet.of(COMPLETED, SCHEDULED, QUEUED, FAILED, CANCELLED),
          COMPLETED, EnumSet.noneOf(TaskStatus.class),
          FAILED, EnumSet.of(QUEUED),
          CANCELLED, EnumSet.of(QUEUED));

  @Test
  void everyPairIsAllowedExactlyWhenTheDesignSaysSo() {
    for (TaskStatus from : TaskStatus.values()) {
      for (TaskStatus to : TaskStatus.values()) {
        boolean expected = DESIGN.get(from).contains(to);
        assertEquals(expected, Transitions.isAllowed(from, to), from + " -> " + to);
        if (!expected) {
          IllegalTransitionException e =
              assertThrows(IllegalTransitionException.class, () -> Transitions.check(from, to));
          assertEquals(from, e.from());
          assertEquals(to, e.to());
        }
      }
      assertEquals(DESIGN.get(from), Transitions.targets(from));
    }
  }

  @Test
  void terminalStatusesAreTheOnesWithoutAWayForwardButRetry() {
    assertEquals(Set.of(), Transitions.targets(COMPLETED));
    for (TaskStatus s : TaskStatus.values()) {
      assertEquals(s == COMPLETED || s == FAILED || s == CANCELLED, s.isTerminal(), s.name());
      assertEquals(DESIGN.get(s).contains(CANCELLED), Transitions.isCancellable(s));
    }
  }

  @Test
  void tasksAreBornPendingScheduledOrQueuedOnly() {
    Transitions.checkInitial(PENDING);
    Transitions.checkInitial(SCHEDULED);
    Transitions.checkInitial(QUEUED);
    for (TaskStatus s : EnumSet.of(RUNNING, COMPLETED, FAILED, CANCELLED)) {
      assertThrows(IllegalTransitionException.class, () -> Transitions.checkInitial(s));
    }
  }

  @Test
  void anUpdateCannotEvenBeBuiltForAnIllegalChange() {
    var completed = TestTasks.builder(COMPLETED).build();
    var reopened = completed.toBuilder().status(QUEUED).build();
    IllegalTransitionException e =
        assertThrows(
            IllegalTransitionException.class,
            () -> new TaskUpdate(completed, reopened, null, "no"));
    assertTrue(e.getMessage().contains("COMPLETED -> QUEUED"));
  }
}

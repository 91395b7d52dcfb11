package dev.orchestrator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Tasks wait for their model's permit before the call, and the wait shows in their events. */
class RateLimitedTasksTest {
  @Test
  void waitsForTheRateLimitAreNotedInTheTasksEvents() throws Exception {
    try (Orchestrator orchestrator =
        Orchestrator.builder()
            .workers(8)
            .rateLimiter(InMemoryRateLimiter.builder().limit("slow-model", 4, 0).build())
            .build()
            .start()) {
      List<Task> tasks = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        tasks.add(orchestrator.submit(TaskSpec.prompt("call " + i).model("slow-model").build()));
      }
      long waited = 0;
      for (Task t : tasks) {
        assertEquals(
            TaskStatus.COMPLETED, orchestrator.await(t.id()).get(30, TimeUnit.SECONDS).status());
        waited +=
            orchestrator.events(t.id()).stream()
                .map(TaskEvent::reason)
                .filter(
                    r ->
                        r.startsWith("waited ")
                            && r.endsWith("for the rate limit of model slow-model"))
                .count();
      }
      // 12 calls at 4 per second: at least the 8 beyond the first second had to wait
      assertTrue(waited >= 8, "waits noted: " + waited);
    }
  }
}

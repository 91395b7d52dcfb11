package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.orchestrator.CallOptions;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.retry.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A schedule's task spec as JSON: every field of {@link TaskSpec} reads back as written. */
class ScheduleRowsTest {
  @Test
  void everyFieldOfASpecRoundTrips() throws Exception {
    TaskSpec spec =
        new TaskSpec(
            "name \"quoted\" ünï 🤖",
            "report",
            "reports",
            "owner:acme",
            5,
            "Summarise {{day}}\nline 2 \\ back",
            "daily",
            Map.of("day", "yesterday", "empty", ""),
            "gpt-x",
            new CallOptions("be brief", 0.25, 256),
            -7,
            5,
            Instant.parse("2026-01-01T00:00:00.123456789Z"),
            Duration.ofNanos(1_500_000_001),
            Duration.ofSeconds(42),
            new RetryPolicy(Duration.ofMillis(250), 3.5, Duration.ofSeconds(9)),
            List.of(UUID.randomUUID(), UUID.randomUUID()),
            "key-1",
            "tenant-ä",
            Map.of("team", "search", "quote'", "va\"lue"));
    assertEquals(spec, ScheduleRows.spec(ScheduleRows.specJson(spec)));
    assertEquals(
        20,
        TaskSpec.class.getRecordComponents().length,
        "a new TaskSpec field needs its place in ScheduleRows.specJson and spec, and here");
  }

  @Test
  void aSpecOfDefaultsRoundTripsAndIsSmall() throws Exception {
    TaskSpec spec = TaskSpec.prompt("tick").build();
    String json = ScheduleRows.specJson(spec);
    assertEquals("{\"prompt\":\"tick\"}", json);
    assertEquals(spec, ScheduleRows.spec(json));
    TaskSpec someOptions = TaskSpec.prompt("p").temperature(0).build();
    assertEquals(someOptions, ScheduleRows.spec(ScheduleRows.specJson(someOptions)));
    TaskSpec keyed = TaskSpec.prompt("p").concurrencyKey("doc:1", 1).build();
    assertEquals(keyed, ScheduleRows.spec(ScheduleRows.specJson(keyed)));
  }

  @Test
  void textJsonbCannotKeepIsRefused() {
    assertThrows(
        InvalidTaskException.class,
        () -> ScheduleRows.specJson(TaskSpec.prompt("nul \u0000 inside").build()));
    assertThrows(
        InvalidTaskException.class,
        () -> ScheduleRows.specJson(TaskSpec.prompt("p").label("k", "\uD800").build()));
  }
}

package dev.orchestrator.examples.quickstart;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.HandlerResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The quick start: every feature of the orchestrator on its embedded defaults (in-memory store,
 * mock LLM), then a table of what happened. Run it with {@code ./mvnw -q -pl examples/quickstart
 * -am compile exec:java}.
 */
public final class QuickStart {
  private QuickStart() {}

  public static void main(String[] args) throws Exception {
    MockLlmClient llm =
        MockLlmClient.builder()
            .latency(Duration.ofMillis(40))
            .failFirst("flaky", 2, ErrorKind.SERVER_ERROR) // fails twice, then answers
            .failAlways("forbidden", ErrorKind.CONTENT_REFUSED) // never retried
            .build();
    CountDownLatch researchStarted = new CountDownLatch(1);

    try (Orchestrator orchestrator =
        Orchestrator.builder()
            .llm(llm)
            .workers(4)
            .defaultRetryPolicy(new RetryPolicy(Duration.ofMillis(100), 2.0, Duration.ofSeconds(2)))
            .template("summarise", "Summarise in {{words}} words: {{text}}")
            .handler(
                "research",
                ctx -> {
                  for (int step = 1; step <= 100; step++) {
                    ctx.checkCancelled();
                    ctx.progress(step / 100.0, "step " + step);
                    if (step == 3) {
                      researchStarted.countDown();
                    }
                    Thread.sleep(100);
                  }
                  return HandlerResult.of("research finished");
                })
            .build()
            .start()) {
      List<Task> tasks = new ArrayList<>();

      Task immediate =
          orchestrator.submit(TaskSpec.prompt("Name three rivers").name("immediate").build());
      Task scheduled =
          orchestrator.submit(
              TaskSpec.prompt("Good morning digest")
                  .name("scheduled (+1s)")
                  .delay(Duration.ofSeconds(1))
                  .build());
      Task flaky =
          orchestrator.submit(
              TaskSpec.prompt("flaky upstream")
                  .name("fails twice, then ok")
                  .maxAttempts(3)
                  .build());
      Task fatal =
          orchestrator.submit(
              TaskSpec.prompt("forbidden request").name("fatal failure").maxAttempts(3).build());

      // a chain: the child's prompt is rendered from its completed parent
      Task draft = orchestrator.await(immediate.id()).get(10, TimeUnit.SECONDS);
      Task chained =
          orchestrator.chain(
              draft.id(),
              TaskSpec.prompt("Translate to French: {{parent.output}}")
                  .name("chain of immediate")
                  .build());

      // fan-in: a continuation waits in PENDING until both parents complete
      Task partA =
          orchestrator.submit(
              TaskSpec.template("summarise", Map.of("words", "10", "text", "report A"))
                  .name("a")
                  .build());
      Task partB =
          orchestrator.submit(
              TaskSpec.template("summarise", Map.of("words", "10", "text", "report B"))
                  .name("b")
                  .build());
      Task merge =
          orchestrator.submit(
              TaskSpec.prompt("Merge: {{parents.a.output}} + {{parents.b.output}}")
                  .name("fan-in of a+b")
                  .dependsOn(partA.id(), partB.id())
                  .build());

      // a long task cancelled while it runs
      Task research =
          orchestrator.submit(
              TaskSpec.builder().type("research").name("cancelled while running").build());
      researchStarted.await(10, TimeUnit.SECONDS);
      orchestrator.cancel(research.id(), "no longer needed");

      // a batch: written atomically, all or nothing
      List<Task> batch =
          orchestrator.submitAll(
              List.of(
                  TaskSpec.prompt("Classify: invoice").name("batch 1/3").build(),
                  TaskSpec.prompt("Classify: receipt").name("batch 2/3").build(),
                  TaskSpec.prompt("Classify: contract").name("batch 3/3").build()));

      tasks.addAll(
          List.of(immediate, scheduled, chained, partA, partB, merge, flaky, fatal, research));
      tasks.addAll(batch);
      for (Task t : tasks) {
        orchestrator.await(t.id()).get(30, TimeUnit.SECONDS);
      }
      print(orchestrator, tasks);
    }
  }

  private static void print(Orchestrator orchestrator, List<Task> tasks) {
    String format = "%-26s %-10s %8s %9s %10s %8s %9s  %s%n";
    System.out.printf(
        format,
        "task",
        "status",
        "attempts",
        "tokens in",
        "tokens out",
        "run ms",
        "total ms",
        "output / error");
    System.out.println("-".repeat(120));
    for (Task submitted : tasks) {
      Task t = orchestrator.task(submitted.id());
      List<Attempt> attempts = orchestrator.attempts(t.id());
      long runMillis = attempts.stream().mapToLong(a -> a.latency().toMillis()).sum();
      long totalMillis = Duration.between(t.createdAt(), t.finishedAt()).toMillis();
      String detail =
          t.status() == TaskStatus.COMPLETED
              ? t.output()
              : t.error().kind() + ": " + t.error().message();
      System.out.printf(
          format,
          t.name(),
          t.status(),
          t.attempt() + "/" + t.maxAttempts(),
          t.usage().inputTokens(),
          t.usage().outputTokens(),
          runMillis,
          totalMillis,
          detail.length() > 48 ? detail.substring(0, 45) + "..." : detail);
    }
  }
}

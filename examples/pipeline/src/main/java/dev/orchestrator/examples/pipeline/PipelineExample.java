package dev.orchestrator.examples.pipeline;

import dev.orchestrator.pipeline.PipelineRun;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Runs one goal through the executive-update pipeline and prints what happened: the plan, each step
 * with its tool, attempts, duration and tokens, the verdict, the final artifact and the totals.
 * Exits 0 when the run COMPLETED, 1 otherwise.
 *
 * <pre>
 * ./mvnw -q -pl examples/pipeline -am package -DskipTests exec:java
 * ./mvnw -q -pl examples/pipeline -am package -DskipTests exec:java \
 *     -Dexec.args="Prepare an executive update on project Cobalt and include risks"
 * </pre>
 *
 * <p>On the embedded defaults it needs no network; {@code OPENAI_API_KEY} (with {@code
 * OPENAI_BASE_URL}, {@code OPENAI_MODEL}) switches the planner and the LLM steps to that model (see
 * {@link PipelineApp}).
 */
public final class PipelineExample {
  static final String DEFAULT_GOAL =
      "Prepare an executive update on project Atlas and include risks";

  private PipelineExample() {}

  public static void main(String[] args) throws InterruptedException {
    String goal = args.length == 0 ? DEFAULT_GOAL : String.join(" ", args);
    int code;
    try (PipelineApp app = PipelineApp.fromEnvironment(System.getenv())) {
      PipelineRun run = app.run(goal, Map.of(), System.out);
      code = run.status() == PipelineRun.Status.COMPLETED ? 0 : 1;
    } catch (TimeoutException e) {
      System.out.println("gave up waiting: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }
}

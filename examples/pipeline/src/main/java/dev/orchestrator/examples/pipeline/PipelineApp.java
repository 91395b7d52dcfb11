package dev.orchestrator.examples.pipeline;

import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.llm.Langchain4jLlmClient;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Planner;
import dev.orchestrator.spi.LlmClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The example's host app: an orchestrator on the embedded defaults (in-memory store and queue) with
 * the {@value ExecutiveUpdate#NAME} pipeline installed, and its model and planner:
 *
 * <ul>
 *   <li>by default the mock LLM ({@value #MOCK_LATENCY_MILLIS} ms a call) and the deterministic
 *       {@link UpdatePlanner}: no network, the same plan, step outputs and update every time;
 *   <li>with {@code OPENAI_API_KEY} (and optionally {@code OPENAI_BASE_URL}, {@code OPENAI_MODEL}):
 *       that OpenAI-compatible model through langchain4j for the LLM steps, and an {@link
 *       dev.orchestrator.pipeline.LlmPlanner} on the same model for the plan.
 * </ul>
 */
public final class PipelineApp implements AutoCloseable {
  static final long MOCK_LATENCY_MILLIS = 250;
  static final String DEFAULT_MODEL = "gpt-4o-mini";

  /**
   * Who plans and who answers the LLM steps.
   *
   * @param runTimeout how long a run may take before the app gives up waiting
   */
  record Models(LlmClient llm, Planner planner, String description, Duration runTimeout) {}

  private final Orchestrator orchestrator;
  private final Pipelines pipelines;
  private final String description;
  private final Duration runTimeout;

  private PipelineApp(ProjectData data, Models models, Duration backendLatency) {
    this.pipelines =
        Pipelines.of(
            ExecutiveUpdate.pipeline(
                models.planner(), ProjectTools.registry(data, backendLatency)));
    this.orchestrator =
        pipelines.install(Orchestrator.builder().llm(models.llm()).workers(4)).build().start();
    this.description = "in-memory store, " + models.description();
    this.runTimeout = models.runTimeout();
  }

  /** The app on the embedded defaults: mock LLM, deterministic planner, no network. */
  public static PipelineApp embedded() {
    return embedded(ProjectTools.BACKEND_LATENCY);
  }

  /** The app on the embedded defaults, its data tools taking this long a call. */
  static PipelineApp embedded(Duration backendLatency) {
    ProjectData data = ProjectData.bundled();
    return new PipelineApp(data, mock(data), backendLatency);
  }

  /** The app with these models (and the bundled data). */
  static PipelineApp with(Models models) {
    return new PipelineApp(ProjectData.bundled(), models, ProjectTools.BACKEND_LATENCY);
  }

  /** The app with the model the environment names (see the class comment), else embedded. */
  public static PipelineApp fromEnvironment(Map<String, String> env) {
    ProjectData data = ProjectData.bundled();
    return new PipelineApp(data, models(env, data), ProjectTools.BACKEND_LATENCY);
  }

  static Models models(Map<String, String> env, ProjectData data) {
    String apiKey = blankToNull(env.get("OPENAI_API_KEY"));
    if (apiKey == null) {
      return mock(data);
    }
    String baseUrl = blankToNull(env.get("OPENAI_BASE_URL"));
    String model = blankToNull(env.get("OPENAI_MODEL"));
    model = model == null ? DEFAULT_MODEL : model;
    OpenAiChatModel.OpenAiChatModelBuilder chat =
        OpenAiChatModel.builder()
            .apiKey(apiKey)
            .modelName(model)
            .maxRetries(0) // the orchestrator owns retries
            .timeout(Duration.ofSeconds(60));
    if (baseUrl != null) {
      chat.baseUrl(baseUrl);
    }
    return new Models(
        new Langchain4jLlmClient(chat.build()),
        ExecutiveUpdate.llmPlanner(),
        "model "
            + model
            + (baseUrl == null ? " (OpenAI)" : " at " + baseUrl)
            + ", the model plans (LlmPlanner)",
        Duration.ofMinutes(10));
  }

  private static Models mock(ProjectData data) {
    return new Models(
        MockLlmClient.builder().latency(Duration.ofMillis(MOCK_LATENCY_MILLIS)).build(),
        ExecutiveUpdate.deterministicPlanner(data),
        "mock LLM ("
            + MOCK_LATENCY_MILLIS
            + " ms a call), deterministic planner; set OPENAI_API_KEY for a real model",
        Duration.ofSeconds(60));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /**
   * Runs the goal to its end, printing the plan, each step as it completes, the verdict, the final
   * artifact and the totals to {@code out}.
   *
   * @throws TimeoutException when the run is still going after the app's run timeout
   */
  public PipelineRun run(String goal, Map<String, String> context, PrintStream out)
      throws InterruptedException, TimeoutException {
    RunPrinter printer = new RunPrinter(orchestrator, out);
    printer.header(goal, description, pipelines.pipelines().get(ExecutiveUpdate.NAME).tools());
    long start = System.nanoTime();
    AutoCloseable listening = orchestrator.addListener(printer);
    try {
      PipelineRun run = pipelines.start(orchestrator, ExecutiveUpdate.NAME, goal, context);
      printer.follow(run.id());
      PipelineRun done = pipelines.await(orchestrator, run.id(), runTimeout);
      printer.finish(done, Duration.ofNanos(System.nanoTime() - start));
      return done;
    } finally {
      try {
        listening.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot remove the listener", e);
      }
    }
  }

  public Orchestrator orchestrator() {
    return orchestrator;
  }

  public Pipelines pipelines() {
    return pipelines;
  }

  @Override
  public void close() {
    orchestrator.close();
  }
}

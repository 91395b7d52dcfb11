package dev.orchestrator.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * A named pipeline: how its runs are planned, which tools their steps may call, how their result is
 * verified, and the bounds they keep. Immutable; install it with {@link Pipelines}.
 *
 * <pre>{@code
 * Pipeline update = Pipeline.builder("exec-update")
 *     .planner((request, stage) -> new Plan(request.goal(), List.of(
 *         Plan.Step.tool("tickets", "ticket_search", args),
 *         Plan.Step.llm("draft", "Write the update from ${steps.tickets.output}").after("tickets"))))
 *     .tools(ToolRegistry.of(ticketSearch))
 *     .verifier(Verifier.allOf(Verifier.structural(), Verifier.mentions("risk")))
 *     .maxReplans(1)
 *     .build();
 * }</pre>
 *
 * @param name how runs name it
 * @param planner decides the steps
 * @param tools what TOOL steps (and LLM steps offered tools) may call
 * @param verifier gates the result
 * @param maxSteps the most steps a plan may have
 * @param maxReplans how many times a failed verification re-plans before the run fails
 * @param failFast true: a step that fails (after its retries) fails the run, and no step after it
 *     starts; false: its error is its result, for the verifier to judge
 * @param stepMaxAttempts attempts of an LLM, checkpoint or summary step (a tool step has its
 *     tool's)
 * @param planTimeout longest time one planning attempt may take
 * @param stepTimeout longest time one attempt of a step other than a tool call may take
 * @param verifyTimeout longest time one verification attempt may take
 * @param waitTimeout how long a WAIT step waits for its signal
 * @param skipWaitOnTimeout true: a WAIT step whose signal did not come completes without it; false:
 *     it fails
 * @param contextTokenLimit when the outputs an LLM step reads exceed this many tokens (estimated, 4
 *     characters a token), they are summarised by an LLM call first; 0: never
 * @param model the model of the pipeline's LLM calls, or null for the client's default
 * @param llmStepEstimate what an LLM step usually takes, for estimates
 */
public record Pipeline(
    String name,
    Planner planner,
    ToolRegistry tools,
    Verifier verifier,
    int maxSteps,
    int maxReplans,
    boolean failFast,
    int stepMaxAttempts,
    Duration planTimeout,
    Duration stepTimeout,
    Duration verifyTimeout,
    Duration waitTimeout,
    boolean skipWaitOnTimeout,
    int contextTokenLimit,
    String model,
    Duration llmStepEstimate) {

  public Pipeline {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("a pipeline name is 1..64 of [A-Za-z0-9_.-]: " + name);
    }
    Objects.requireNonNull(planner, "planner");
    tools = tools == null ? ToolRegistry.of() : tools;
    verifier = verifier == null ? Verifier.structural() : verifier;
    if (maxSteps < 1 || maxReplans < 0 || stepMaxAttempts < 1 || contextTokenLimit < 0) {
      throw new IllegalArgumentException(
          "maxSteps and stepMaxAttempts must be positive, maxReplans and contextTokenLimit not"
              + " negative");
    }
    Objects.requireNonNull(planTimeout, "planTimeout");
    Objects.requireNonNull(stepTimeout, "stepTimeout");
    Objects.requireNonNull(verifyTimeout, "verifyTimeout");
    Objects.requireNonNull(waitTimeout, "waitTimeout");
    Objects.requireNonNull(llmStepEstimate, "llmStepEstimate");
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds a {@link Pipeline}; only the name and the planner are required. */
  public static final class Builder {
    private final String name;
    private Planner planner;
    private ToolRegistry tools;
    private Verifier verifier;
    private int maxSteps = 20;
    private int maxReplans = 1;
    private boolean failFast = true;
    private int stepMaxAttempts = 3;
    private Duration planTimeout = Duration.ofMinutes(2);
    private Duration stepTimeout = Duration.ofMinutes(5);
    private Duration verifyTimeout = Duration.ofMinutes(2);
    private Duration waitTimeout = Duration.ofHours(24);
    private boolean skipWaitOnTimeout;
    private int contextTokenLimit;
    private String model;
    private Duration llmStepEstimate = Duration.ofSeconds(3);

    private Builder(String name) {
      this.name = name;
    }

    public Builder planner(Planner v) {
      planner = v;
      return this;
    }

    public Builder tools(ToolRegistry v) {
      tools = v;
      return this;
    }

    public Builder verifier(Verifier v) {
      verifier = v;
      return this;
    }

    public Builder maxSteps(int v) {
      maxSteps = v;
      return this;
    }

    public Builder maxReplans(int v) {
      maxReplans = v;
      return this;
    }

    public Builder failFast(boolean v) {
      failFast = v;
      return this;
    }

    public Builder stepMaxAttempts(int v) {
      stepMaxAttempts = v;
      return this;
    }

    public Builder planTimeout(Duration v) {
      planTimeout = v;
      return this;
    }

    public Builder stepTimeout(Duration v) {
      stepTimeout = v;
      return this;
    }

    public Builder verifyTimeout(Duration v) {
      verifyTimeout = v;
      return this;
    }

    /** How long a WAIT step waits, and whether it then goes on without its signal or fails. */
    public Builder waitTimeout(Duration v, boolean skipOnTimeout) {
      waitTimeout = v;
      skipWaitOnTimeout = skipOnTimeout;
      return this;
    }

    public Builder contextTokenLimit(int v) {
      contextTokenLimit = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder llmStepEstimate(Duration v) {
      llmStepEstimate = v;
      return this;
    }

    public Pipeline build() {
      return new Pipeline(
          name,
          planner,
          tools,
          verifier,
          maxSteps,
          maxReplans,
          failFast,
          stepMaxAttempts,
          planTimeout,
          stepTimeout,
          verifyTimeout,
          waitTimeout,
          skipWaitOnTimeout,
          contextTokenLimit,
          model,
          llmStepEstimate);
    }
  }
}

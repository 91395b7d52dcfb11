package dev.orchestrator;

import dev.orchestrator.retry.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What a caller asks to run. Validated by {@link Orchestrator#submit(TaskSpec)} against the
 * orchestrator's limits before anything is written.
 *
 * <pre>{@code
 * TaskSpec.prompt("Summarise: ...").name("summary").model("gpt-4o-mini").maxAttempts(5).build();
 * TaskSpec.template("summarise", Map.of("text", article)).build();
 * TaskSpec.builder().type("verify").dependsOn(draftId).build();
 * }</pre>
 */
public record TaskSpec(
    String name,
    String type,
    String queue,
    String concurrencyKey,
    Integer concurrencyLimit,
    String prompt,
    String template,
    Map<String, String> variables,
    String model,
    CallOptions options,
    int priority,
    Integer maxAttempts,
    Instant runAt,
    Duration delay,
    Duration timeout,
    RetryPolicy retryPolicy,
    List<UUID> dependsOn,
    String idempotencyKey,
    String owner,
    Map<String, String> labels) {

  public TaskSpec {
    variables = variables == null ? Map.of() : Map.copyOf(variables);
    options = options == null ? CallOptions.DEFAULT : options;
    // a parent named twice is one parent: the task waits for it once
    dependsOn = dependsOn == null ? List.of() : List.copyOf(new LinkedHashSet<>(dependsOn));
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A spec for one LLM call with this prompt. */
  public static Builder prompt(String prompt) {
    return new Builder().prompt(prompt);
  }

  /** A spec whose prompt is a registered template rendered with these variables. */
  public static Builder template(String name, Map<String, String> variables) {
    return new Builder().template(name, variables);
  }

  public static final class Builder {
    private String name;
    private String type;
    private String queue;
    private String concurrencyKey;
    private Integer concurrencyLimit;
    private String prompt;
    private String template;
    private Map<String, String> variables = Map.of();
    private String model;
    private CallOptions options = CallOptions.DEFAULT;
    private int priority;
    private Integer maxAttempts;
    private Instant runAt;
    private Duration delay;
    private Duration timeout;
    private RetryPolicy retryPolicy;
    private List<UUID> dependsOn = List.of();
    private String idempotencyKey;
    private String owner;
    private final Map<String, String> labels = new LinkedHashMap<>();

    /** A human name; continuations' templates refer to a parent by it. */
    public Builder name(String value) {
      name = value;
      return this;
    }

    /** The handler type; default {@link Task#LLM_TYPE}. */
    public Builder type(String value) {
      type = value;
      return this;
    }

    /**
     * The named queue the task waits in; default {@link Task#DEFAULT_QUEUE}. Only nodes that serve
     * the queue claim it (see {@code Orchestrator.Builder.queues}), so work that needs a GPU or a
     * quota of its own can run on nodes of its own.
     */
    public Builder queue(String value) {
      queue = value;
      return this;
    }

    /**
     * At most {@code limit} tasks sharing {@code key} run at once across the cluster (e.g. {@code
     * "owner:acme", 5}, or one at a time per document with {@code "doc:" + id, 1}). The claim
     * itself enforces it: a task whose key is full waits, and the tasks behind it of other keys (or
     * of none) are claimed meanwhile.
     */
    public Builder concurrencyKey(String key, int limit) {
      concurrencyKey = key;
      concurrencyLimit = limit;
      return this;
    }

    public Builder prompt(String value) {
      prompt = value;
      return this;
    }

    /**
     * Values of the prompt's (or the template's) {@code {{placeholders}}}, filled in at submit
     * time; parent variables ({@code parent.*}, {@code parents.*}) are left for when the task runs.
     */
    public Builder variables(Map<String, String> values) {
      variables = Objects.requireNonNull(values, "variables");
      return this;
    }

    /** Renders the named template with the variables at submit time. */
    public Builder template(String templateName, Map<String, String> templateVariables) {
      template = templateName;
      variables = Objects.requireNonNull(templateVariables, "variables");
      return this;
    }

    public Builder model(String value) {
      model = value;
      return this;
    }

    public Builder systemPrompt(String value) {
      options =
          new CallOptions(
              value, options.temperature(), options.maxOutputTokens(), options.stream());
      return this;
    }

    public Builder temperature(double value) {
      options =
          new CallOptions(
              options.systemPrompt(), value, options.maxOutputTokens(), options.stream());
      return this;
    }

    public Builder maxOutputTokens(int value) {
      options =
          new CallOptions(options.systemPrompt(), options.temperature(), value, options.stream());
      return this;
    }

    /**
     * Streams the LLM call: the output written so far reaches the task's events as the model writes
     * it (see {@link CallOptions#stream}).
     */
    public Builder stream(boolean value) {
      options =
          new CallOptions(
              options.systemPrompt(), options.temperature(), options.maxOutputTokens(), value);
      return this;
    }

    /** Higher runs first; default 0. */
    public Builder priority(int value) {
      priority = value;
      return this;
    }

    /** Attempts allowed, first included; default the orchestrator's. */
    public Builder maxAttempts(int value) {
      maxAttempts = value;
      return this;
    }

    /** Earliest start. */
    public Builder runAt(Instant value) {
      runAt = value;
      delay = null;
      return this;
    }

    /** Earliest start, relative to submission. */
    public Builder delay(Duration value) {
      delay = value;
      runAt = null;
      return this;
    }

    /** Longest run of one attempt; default the orchestrator's. */
    public Builder timeout(Duration value) {
      timeout = value;
      return this;
    }

    /** Backoff between attempts; default the orchestrator's. */
    public Builder retryPolicy(RetryPolicy value) {
      retryPolicy = value;
      return this;
    }

    /**
     * Waits in PENDING until every one of these tasks has COMPLETED. A parent listed twice counts
     * once.
     */
    public Builder dependsOn(UUID... parents) {
      dependsOn = List.of(parents);
      return this;
    }

    public Builder dependsOn(List<UUID> parents) {
      dependsOn = List.copyOf(parents);
      return this;
    }

    /** Unique per owner: submitting the same key again returns the existing task. */
    public Builder idempotencyKey(String value) {
      idempotencyKey = value;
      return this;
    }

    /** The tenant; default {@link Task#DEFAULT_OWNER}. */
    public Builder owner(String value) {
      owner = value;
      return this;
    }

    public Builder label(String key, String value) {
      if (key == null || value == null) {
        throw new InvalidTaskException(
            InvalidTaskException.Problem.BAD_FIELD, "label key and value must not be null");
      }
      labels.put(key, value);
      return this;
    }

    public TaskSpec build() {
      return new TaskSpec(
          name,
          type,
          queue,
          concurrencyKey,
          concurrencyLimit,
          prompt,
          template,
          variables,
          model,
          options,
          priority,
          maxAttempts,
          runAt,
          delay,
          timeout,
          retryPolicy,
          dependsOn,
          idempotencyKey,
          owner,
          labels);
    }
  }
}

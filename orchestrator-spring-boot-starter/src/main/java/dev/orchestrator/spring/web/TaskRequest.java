package dev.orchestrator.spring.web;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.retry.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The body of {@code POST /tasks} (and of a chain, a batch entry, a template's task): a task spec
 * in JSON. Times are ISO-8601 ({@code "2026-12-01T10:00:00Z"}, {@code "PT30S"}); every field is
 * optional but a prompt or template for an LLM task. The owner is never taken from the body: it is
 * the request's (see {@link OwnerResolver}).
 */
record TaskRequest(
    String name,
    String type,
    String queue,
    String concurrencyKey,
    Integer concurrencyLimit,
    String prompt,
    String template,
    Map<String, String> variables,
    String model,
    String systemPrompt,
    Double temperature,
    Integer maxOutputTokens,
    Integer priority,
    Integer maxAttempts,
    Instant runAt,
    Duration delay,
    Duration timeout,
    Retry retry,
    List<UUID> dependsOn,
    String idempotencyKey,
    Map<String, String> labels) {

  /** A request with no field set. */
  static final TaskRequest EMPTY =
      new TaskRequest(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null, null, null, null);

  /** This request for a task of the named template. */
  TaskRequest withTemplate(String templateName) {
    return new TaskRequest(
        name,
        type,
        queue,
        concurrencyKey,
        concurrencyLimit,
        null,
        templateName,
        variables,
        model,
        systemPrompt,
        temperature,
        maxOutputTokens,
        priority,
        maxAttempts,
        runAt,
        delay,
        timeout,
        retry,
        dependsOn,
        idempotencyKey,
        labels);
  }

  /** A task's own backoff: exponential with full jitter. */
  record Retry(Duration initialDelay, Double multiplier, Duration maxDelay) {}

  /** The body of {@code POST /tasks/batch}. */
  record Batch(List<TaskRequest> tasks) {}

  /** The body of {@code POST /tasks/{id}/retry}. */
  record RetryBody(Integer maxAttempts) {}

  /** The body of {@code POST /tasks/{id}/cancel}. */
  record CancelBody(String reason) {}

  TaskSpec toSpec() {
    if (runAt != null && delay != null) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "give runAt or delay, not both");
    }
    if (variables != null && variables.containsValue(null)) {
      throw new InvalidTaskException(Problem.MISSING_VARIABLE, "a variable has no value");
    }
    TaskSpec.Builder b =
        TaskSpec.builder().name(name).type(type).queue(queue).prompt(prompt).model(model);
    if (concurrencyKey != null || concurrencyLimit != null) {
      if (concurrencyKey == null) {
        throw new InvalidTaskException(
            Problem.BAD_FIELD, "a concurrencyLimit needs a concurrencyKey");
      }
      if (concurrencyLimit == null) {
        throw new InvalidTaskException(
            Problem.BAD_FIELD, "a concurrencyKey needs a concurrencyLimit");
      }
      b.concurrencyKey(concurrencyKey, concurrencyLimit);
    }
    if (template != null) {
      b.template(template, variables == null ? Map.of() : variables);
    } else if (variables != null) {
      b.variables(variables);
    }
    if (systemPrompt != null) {
      b.systemPrompt(systemPrompt);
    }
    if (temperature != null) {
      b.temperature(temperature);
    }
    if (maxOutputTokens != null) {
      b.maxOutputTokens(maxOutputTokens);
    }
    if (priority != null) {
      b.priority(priority);
    }
    if (maxAttempts != null) {
      b.maxAttempts(maxAttempts);
    }
    if (runAt != null) {
      b.runAt(runAt);
    }
    if (delay != null) {
      b.delay(delay);
    }
    if (timeout != null) {
      b.timeout(timeout);
    }
    if (retry != null) {
      b.retryPolicy(retryPolicy(retry));
    }
    if (dependsOn != null) {
      if (dependsOn.contains(null)) {
        throw new InvalidTaskException(Problem.UNKNOWN_PARENT, "dependsOn holds a null id");
      }
      b.dependsOn(dependsOn);
    }
    if (idempotencyKey != null) {
      b.idempotencyKey(idempotencyKey);
    }
    if (labels != null) {
      labels.forEach(
          (k, v) -> {
            if (v == null) {
              throw new InvalidTaskException(Problem.BAD_FIELD, "label '" + k + "' has no value");
            }
            b.label(k, v);
          });
    }
    return b.build();
  }

  private static RetryPolicy retryPolicy(Retry r) {
    Duration initial =
        r.initialDelay() == null ? RetryPolicy.DEFAULT_INITIAL_DELAY : r.initialDelay();
    try {
      return new RetryPolicy(
          initial,
          r.multiplier() == null ? RetryPolicy.DEFAULT_MULTIPLIER : r.multiplier(),
          r.maxDelay() == null
              ? initial.compareTo(RetryPolicy.DEFAULT_MAX_DELAY) > 0
                  ? initial
                  : RetryPolicy.DEFAULT_MAX_DELAY
              : r.maxDelay());
    } catch (IllegalArgumentException e) {
      throw new InvalidTaskException(Problem.BAD_RETRY, e.getMessage());
    }
  }
}

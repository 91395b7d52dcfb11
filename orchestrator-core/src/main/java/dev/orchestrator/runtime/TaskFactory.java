package dev.orchestrator.runtime;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Texts;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.template.PromptTemplate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Turns a {@link TaskSpec} into a new {@link Task}, refusing bad input with {@link
 * InvalidTaskException} before anything is written: sizes, ranges, templates, parents, handler
 * types. Internal.
 */
public final class TaskFactory {
  private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

  /** Earliest start time a task may ask for: every store keeps it. */
  public static final Instant MIN_RUN_AT = Instant.parse("0001-01-01T00:00:00Z");

  /** Latest start time a task may ask for: every store keeps it. */
  public static final Instant MAX_RUN_AT = Instant.parse("9999-12-31T23:59:59Z");

  /** Longest backoff a retry policy may ask for. */
  public static final Duration MAX_RETRY_DELAY = Duration.ofDays(365);

  private final Limits limits;
  private final Map<String, PromptTemplate> templates;
  private final Set<String> types;
  private final RuntimeSettings settings;

  public TaskFactory(
      Limits limits, Map<String, String> templates, Set<String> types, RuntimeSettings settings) {
    this.limits = limits;
    Map<String, PromptTemplate> parsed = new HashMap<>();
    templates.forEach((name, text) -> parsed.put(name, PromptTemplate.of(text)));
    this.templates = Map.copyOf(parsed);
    this.types = Set.copyOf(types);
    this.settings = settings;
  }

  /**
   * Builds a task from a spec.
   *
   * @param spec the caller's spec
   * @param parents the spec's {@code dependsOn} tasks, already loaded and visible to the owner; for
   *     a chain, the completed parent
   * @param chained true for {@code chain()}: parent variables are filled in now, not when it runs
   * @param owner the owner the caller is scoped to, or null
   */
  public Task create(
      TaskSpec spec, List<Task> parents, boolean chained, String owner, Instant now) {
    String type = spec.type() == null ? Task.LLM_TYPE : spec.type();
    text("type", type, true);
    if (!types.contains(type)) {
      throw new InvalidTaskException(
          Problem.UNKNOWN_TYPE,
          "no handler registered for type '"
              + type
              + "' (declare it with remoteTypes if other nodes run it)");
    }
    String queue = spec.queue() == null ? Task.DEFAULT_QUEUE : spec.queue();
    text("queue", queue, true);
    text("concurrencyKey", spec.concurrencyKey(), false);
    int concurrencyLimit = 0;
    if (spec.concurrencyKey() != null) {
      concurrencyLimit = spec.concurrencyLimit() == null ? 0 : spec.concurrencyLimit();
      if (concurrencyLimit < 1 || concurrencyLimit > Limits.MAX_CONCURRENCY_LIMIT) {
        throw new InvalidTaskException(
            Problem.BAD_FIELD,
            "a concurrency limit must be 1.."
                + Limits.MAX_CONCURRENCY_LIMIT
                + ": "
                + spec.concurrencyLimit());
      }
    } else if (spec.concurrencyLimit() != null) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a concurrency limit needs a key");
    }
    text("name", spec.name(), false);
    text("model", spec.model(), false);
    text("idempotencyKey", spec.idempotencyKey(), false);
    String taskOwner = resolveOwner(spec.owner(), owner);
    checkLabels(spec.labels());

    int maxAttempts =
        spec.maxAttempts() == null ? settings.defaultMaxAttempts() : spec.maxAttempts();
    if (maxAttempts < 1 || maxAttempts > limits.maxAttempts()) {
      throw new InvalidTaskException(
          Problem.MAX_ATTEMPTS_OUT_OF_RANGE,
          "maxAttempts must be 1.." + limits.maxAttempts() + ": " + maxAttempts);
    }
    if (Math.abs((long) spec.priority()) > Limits.MAX_PRIORITY) {
      throw new InvalidTaskException(
          Problem.PRIORITY_OUT_OF_RANGE,
          "priority must be within +-" + Limits.MAX_PRIORITY + ": " + spec.priority());
    }
    Duration timeout = spec.timeout() == null ? settings.defaultTimeout() : spec.timeout();
    if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new InvalidTaskException(
          Problem.BAD_TIMEOUT,
          "timeout must be positive and at most " + MAX_TIMEOUT + ": " + timeout);
    }
    if (spec.retryPolicy() != null
        && spec.retryPolicy().maxDelay().compareTo(MAX_RETRY_DELAY) > 0) {
      throw new InvalidTaskException(
          Problem.BAD_RETRY,
          "a retry policy's maxDelay must be at most "
              + MAX_RETRY_DELAY
              + ": "
              + spec.retryPolicy());
    }
    Instant runAt = runAt(spec, now);

    checkOptions(spec.options());
    String prompt = prompt(spec, parents, chained, type);
    TaskStatus status;
    if (!parents.isEmpty() && !chained) {
      status = TaskStatus.PENDING;
    } else {
      status = runAt.isAfter(now) ? TaskStatus.SCHEDULED : TaskStatus.QUEUED;
    }
    UUID id = Ids.next();
    return new Task.Builder()
        .id(id)
        .name(spec.name())
        .type(type)
        .queue(queue)
        .concurrency(spec.concurrencyKey(), concurrencyLimit)
        .prompt(prompt)
        .model(spec.model())
        .options(spec.options())
        .status(status)
        .priority(spec.priority())
        .attempt(0)
        .maxAttempts(maxAttempts)
        .runAt(runAt)
        .timeout(timeout)
        .retryPolicy(spec.retryPolicy())
        .createdAt(now)
        .updatedAt(now)
        .parentIds(parents.stream().map(Task::id).toList())
        .rootId(parents.isEmpty() ? id : parents.get(0).rootId())
        .idempotencyKey(spec.idempotencyKey())
        .owner(taskOwner)
        .labels(spec.labels())
        .version(0)
        .build();
  }

  /** The spec's start time, refused unless every store can keep it. */
  private static Instant runAt(TaskSpec spec, Instant now) {
    Instant runAt = spec.runAt();
    if (spec.delay() != null) {
      if (spec.delay().isNegative()) {
        throw new InvalidTaskException(
            Problem.RUN_AT_OUT_OF_RANGE, "delay must not be negative: " + spec.delay());
      }
      runAt = after(now, spec.delay(), "delay " + spec.delay());
    }
    return runAt == null ? now : inRange(runAt, "runAt");
  }

  /** Now plus a wait, refused when that lies past the latest time every store keeps. */
  private static Instant after(Instant now, Duration wait, String what) {
    if (wait.compareTo(Duration.between(now, MAX_RUN_AT)) > 0) {
      throw new InvalidTaskException(
          Problem.RUN_AT_OUT_OF_RANGE, what + " reaches past the latest start time " + MAX_RUN_AT);
    }
    return now.plus(wait);
  }

  /** The time, refused unless every store can keep it. */
  private static Instant inRange(Instant at, String what) {
    if (at.isBefore(MIN_RUN_AT) || at.isAfter(MAX_RUN_AT)) {
      throw new InvalidTaskException(
          Problem.RUN_AT_OUT_OF_RANGE,
          what + " must be from " + MIN_RUN_AT + " to " + MAX_RUN_AT + ": " + at);
    }
    return at;
  }

  private String prompt(TaskSpec spec, List<Task> parents, boolean chained, String type) {
    String prompt = spec.prompt();
    if (spec.template() != null) {
      if (prompt != null) {
        throw new InvalidTaskException(Problem.BAD_FIELD, "give a prompt or a template, not both");
      }
      PromptTemplate template = templates.get(spec.template());
      if (template == null) {
        throw new InvalidTaskException(
            Problem.UNKNOWN_TEMPLATE, "no template named '" + spec.template() + "'");
      }
      prompt = template.render(spec.variables(), ParentVariables.IS_PARENT_VARIABLE);
    } else if (prompt != null && !spec.variables().isEmpty()) {
      prompt =
          PromptTemplate.of(prompt).render(spec.variables(), ParentVariables.IS_PARENT_VARIABLE);
    }
    if (chained) {
      Map<String, String> vars = ParentVariables.of(parents);
      prompt =
          prompt == null
              ? parents.get(0).output()
              : PromptTemplate.of(prompt).render(vars, name -> false);
    } else if (prompt != null && !parents.isEmpty()) {
      List<String> unknown = ParentVariables.unknown(prompt, parents);
      if (!unknown.isEmpty()) {
        throw new InvalidTaskException(
            Problem.MISSING_VARIABLE,
            "neither the parents nor the spec's variables supply "
                + unknown
                + " (parents are named by their name or id)");
      }
    } else if (prompt != null) {
      List<String> parentVars =
          PromptTemplate.of(prompt).variables().stream()
              .filter(ParentVariables.IS_PARENT_VARIABLE)
              .toList();
      if (!parentVars.isEmpty()) {
        throw new InvalidTaskException(
            Problem.MISSING_VARIABLE, parentVars + " need parents: use chain() or dependsOn()");
      }
    }
    boolean promptFromParent = prompt == null && parents.size() == 1;
    if (Task.LLM_TYPE.equals(type) && !promptFromParent && (prompt == null || prompt.isBlank())) {
      throw new InvalidTaskException(Problem.EMPTY_PROMPT, "an LLM task needs a prompt");
    }
    if (prompt != null) {
      requireStorable("prompt", prompt);
    }
    if (prompt != null && prompt.length() > limits.maxPromptLength()) {
      throw new InvalidTaskException(
          Problem.PROMPT_TOO_LONG,
          "prompt has "
              + prompt.length()
              + " characters; the limit is "
              + limits.maxPromptLength());
    }
    return prompt;
  }

  private void checkOptions(dev.orchestrator.CallOptions options) {
    String system = options.systemPrompt();
    if (system != null) {
      requireStorable("systemPrompt", system);
      if (system.length() > limits.maxPromptLength()) {
        throw new InvalidTaskException(
            Problem.PROMPT_TOO_LONG, "systemPrompt is longer than " + limits.maxPromptLength());
      }
    }
    Double t = options.temperature();
    if (t != null && !(t >= 0 && t <= 2)) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "temperature must be 0..2: " + t);
    }
    if (options.maxOutputTokens() != null && options.maxOutputTokens() < 1) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, "maxOutputTokens must be positive: " + options.maxOutputTokens());
    }
  }

  private static String resolveOwner(String requested, String scope) {
    if (scope != null) {
      if (requested != null && !requested.equals(scope)) {
        throw new InvalidTaskException(
            Problem.BAD_FIELD, "owner '" + requested + "' differs from the scope's owner");
      }
      return scope;
    }
    String owner = requested == null ? Task.DEFAULT_OWNER : requested;
    text("owner", owner, true);
    return owner;
  }

  private static void checkLabels(Map<String, String> labels) {
    if (labels.size() > Limits.MAX_LABELS) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, labels.size() + " labels; at most " + Limits.MAX_LABELS);
    }
    labels.forEach(
        (k, v) -> {
          text("label key", k, true);
          requireStorable("label '" + k + "'", v);
          if (v.length() > Limits.MAX_LABEL_VALUE_LENGTH) {
            throw new InvalidTaskException(
                Problem.BAD_FIELD,
                "label '" + k + "' is longer than " + Limits.MAX_LABEL_VALUE_LENGTH);
          }
        });
  }

  /** Checks a short text field: not blank when present or required, not too long. */
  private static void text(String field, String value, boolean required) {
    if (value == null) {
      if (required) {
        throw new InvalidTaskException(Problem.BAD_FIELD, field + " is required");
      }
      return;
    }
    if (value.isBlank()) {
      throw new InvalidTaskException(Problem.BAD_FIELD, field + " must not be blank");
    }
    requireStorable(field, value);
    if (value.length() > Limits.MAX_NAME_LENGTH) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, field + " is longer than " + Limits.MAX_NAME_LENGTH + " characters");
    }
  }

  /**
   * Refuses text no SQL store keeps (U+0000, unpaired surrogates), so every store accepts the same
   * input.
   */
  private static void requireStorable(String field, String value) {
    if (!Texts.isStorable(value)) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, field + " contains U+0000 or an unpaired surrogate");
    }
  }

  /**
   * Refuses a signal's name and payload where a store would not keep them: a name as any short
   * field (not blank, at most {@link Limits#MAX_NAME_LENGTH} characters), a payload no longer than
   * a prompt may be ({@link Limits#maxPromptLength()}); neither with U+0000 or an unpaired
   * surrogate.
   */
  public void checkSignal(String name, String payload) {
    text("signal name", name, true);
    if (payload != null) {
      requireStorable("signal payload", payload);
      if (payload.length() > limits.maxPromptLength()) {
        throw new InvalidTaskException(
            Problem.BAD_FIELD,
            "signal payload is longer than " + limits.maxPromptLength() + " characters");
      }
    }
  }

  /**
   * When a handler's wait ends: its time, or now plus its timeout; its signal's name checked as
   * {@link #checkSignal} checks it.
   *
   * @throws InvalidTaskException when the name is bad or the time outside the years 1 to 9999
   */
  public Instant wakeAt(HandlerResult.Wait wait, Instant now) {
    if (wait.signal() == null) {
      return inRange(wait.until(), "the end of a sleep");
    }
    text("signal name", wait.signal(), true);
    return inRange(after(now, wait.timeout(), "a wait of " + wait.timeout()), "a wait's deadline");
  }

  /** Refuses a batch that is empty or larger than the limit. */
  public void checkBatch(int size) {
    if (size < 1 || size > limits.maxBatchSize()) {
      throw new InvalidTaskException(
          Problem.BATCH_TOO_LARGE, "a batch holds 1.." + limits.maxBatchSize() + " specs: " + size);
    }
  }
}

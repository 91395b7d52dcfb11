package dev.orchestrator.examples.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.Lineage;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.grpc.v1.Attempt;
import dev.orchestrator.grpc.v1.AttemptOutcome;
import dev.orchestrator.grpc.v1.RetryPolicy;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskEvent;
import dev.orchestrator.grpc.v1.TaskLineage;
import dev.orchestrator.grpc.v1.TaskSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Conversions between the orchestrator's types and the messages of orchestrator.v1. */
final class Protos {
  private static final String STATUS_PREFIX = "TASK_STATUS_";
  private static final String KIND_PREFIX = "ERROR_KIND_";
  private static final String OUTCOME_PREFIX = "ATTEMPT_OUTCOME_";

  private Protos() {}

  // ---- requests to the orchestrator

  /** A task id from a request, strictly in the canonical form. */
  static UUID id(String field, String text) {
    if (text == null || text.length() != 36) {
      throw new BadRequestException(
          BadRequestException.BAD_ID, field + " is not a task id: " + quote(text));
    }
    try {
      UUID id = UUID.fromString(text);
      if (!id.toString().equals(text.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(text);
      }
      return id;
    } catch (IllegalArgumentException e) {
      throw new BadRequestException(
          BadRequestException.BAD_ID, field + " is not a task id: " + quote(text));
    }
  }

  static TaskStatus status(dev.orchestrator.grpc.v1.TaskStatus status, int number) {
    if (status == dev.orchestrator.grpc.v1.TaskStatus.UNRECOGNIZED
        || status == dev.orchestrator.grpc.v1.TaskStatus.TASK_STATUS_UNSPECIFIED) {
      throw new BadRequestException(BadRequestException.BAD_ENUM, "not a task status: " + number);
    }
    return TaskStatus.valueOf(status.name().substring(STATUS_PREFIX.length()));
  }

  /** A spec of the orchestrator from the request's spec. */
  static dev.orchestrator.TaskSpec.Builder spec(TaskSpec s) {
    dev.orchestrator.TaskSpec.Builder b = dev.orchestrator.TaskSpec.builder();
    if (s.hasName()) {
      b.name(s.getName());
    }
    if (s.hasType()) {
      b.type(s.getType());
    }
    if (s.hasPrompt()) {
      b.prompt(s.getPrompt());
    }
    if (!s.getVariablesMap().isEmpty()) {
      b.variables(s.getVariablesMap());
    }
    if (s.hasModel()) {
      b.model(s.getModel());
    }
    if (s.hasSystemPrompt()) {
      b.systemPrompt(s.getSystemPrompt());
    }
    if (s.hasTemperature()) {
      double t = s.getTemperature();
      if (!Double.isFinite(t) || t < 0 || t > 2) {
        throw new BadRequestException(
            BadRequestException.BAD_FIELD, "temperature must be 0 to 2: " + t);
      }
      b.temperature(t);
    }
    if (s.hasMaxOutputTokens()) {
      if (s.getMaxOutputTokens() < 1) {
        throw new BadRequestException(
            BadRequestException.BAD_FIELD,
            "max_output_tokens must be positive: " + s.getMaxOutputTokens());
      }
      b.maxOutputTokens(s.getMaxOutputTokens());
    }
    if (s.hasPriority()) {
      b.priority(s.getPriority());
    }
    if (s.hasMaxAttempts()) {
      b.maxAttempts(s.getMaxAttempts());
    }
    if (s.hasRunAt() && s.hasDelay()) {
      throw new BadRequestException(
          BadRequestException.BAD_FIELD, "run_at and delay: at most one of the two");
    }
    if (s.hasRunAt()) {
      b.runAt(instant("run_at", s.getRunAt()));
    }
    if (s.hasDelay()) {
      b.delay(duration("delay", s.getDelay()));
    }
    if (s.hasTimeout()) {
      b.timeout(duration("timeout", s.getTimeout()));
    }
    if (s.hasRetryPolicy()) {
      RetryPolicy p = s.getRetryPolicy();
      try {
        b.retryPolicy(
            new dev.orchestrator.retry.RetryPolicy(
                duration("retry_policy.initial_delay", p.getInitialDelay()),
                p.getMultiplier() == 0
                    ? dev.orchestrator.retry.RetryPolicy.DEFAULT_MULTIPLIER
                    : p.getMultiplier(),
                p.hasMaxDelay()
                    ? duration("retry_policy.max_delay", p.getMaxDelay())
                    : dev.orchestrator.retry.RetryPolicy.DEFAULT_MAX_DELAY));
      } catch (IllegalArgumentException e) {
        throw new BadRequestException(
            BadRequestException.BAD_FIELD, "retry_policy: " + e.getMessage());
      }
    }
    if (s.getDependsOnCount() > 0) {
      List<UUID> parents = new ArrayList<>();
      for (String p : s.getDependsOnList()) {
        parents.add(id("depends_on", p));
      }
      b.dependsOn(parents);
    }
    if (s.hasIdempotencyKey()) {
      b.idempotencyKey(s.getIdempotencyKey());
    }
    s.getLabelsMap().forEach(b::label);
    return b;
  }

  static Instant instant(String field, Timestamp t) {
    try {
      return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    } catch (java.time.DateTimeException | ArithmeticException e) {
      throw new BadRequestException(BadRequestException.BAD_FIELD, field + " is out of range");
    }
  }

  static java.time.Duration duration(String field, Duration d) {
    if (d.getNanos() < 0 || d.getNanos() > 999_999_999) {
      throw new BadRequestException(BadRequestException.BAD_FIELD, field + " has bad nanos");
    }
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  // ---- answers

  static Task task(dev.orchestrator.Task t) {
    Task.Builder b =
        Task.newBuilder()
            .setId(t.id().toString())
            .setType(t.type())
            .setStatus(status(t.status()))
            .setPriority(t.priority())
            .setAttempt(t.attempt())
            .setMaxAttempts(t.maxAttempts())
            .setRootId(t.rootId().toString())
            .setOwner(t.owner())
            .putAllLabels(t.labels())
            .setUsage(usage(t.usage()))
            .setVersion(t.version());
    if (t.name() != null) {
      b.setName(t.name());
    }
    if (t.prompt() != null) {
      b.setPrompt(t.prompt());
    }
    if (t.model() != null) {
      b.setModel(t.model());
    }
    if (t.runAt() != null) {
      b.setRunAt(timestamp(t.runAt()));
    }
    if (t.timeout() != null) {
      b.setTimeout(duration(t.timeout()));
    }
    if (t.createdAt() != null) {
      b.setCreatedAt(timestamp(t.createdAt()));
    }
    if (t.updatedAt() != null) {
      b.setUpdatedAt(timestamp(t.updatedAt()));
    }
    if (t.startedAt() != null) {
      b.setStartedAt(timestamp(t.startedAt()));
    }
    if (t.finishedAt() != null) {
      b.setFinishedAt(timestamp(t.finishedAt()));
    }
    if (t.output() != null) {
      b.setOutput(t.output());
    }
    if (t.error() != null) {
      b.setError(error(t.error()));
    }
    t.parentIds().forEach(p -> b.addParentIds(p.toString()));
    if (t.idempotencyKey() != null) {
      b.setIdempotencyKey(t.idempotencyKey());
    }
    return b.build();
  }

  static dev.orchestrator.grpc.v1.TaskStatus status(TaskStatus s) {
    return dev.orchestrator.grpc.v1.TaskStatus.valueOf(STATUS_PREFIX + s.name());
  }

  static dev.orchestrator.grpc.v1.TaskError error(TaskError e) {
    return dev.orchestrator.grpc.v1.TaskError.newBuilder()
        .setKind(kind(e.kind()))
        .setMessage(e.message())
        .build();
  }

  static dev.orchestrator.grpc.v1.ErrorKind kind(ErrorKind k) {
    return dev.orchestrator.grpc.v1.ErrorKind.valueOf(KIND_PREFIX + k.name());
  }

  static dev.orchestrator.grpc.v1.Usage usage(Usage u) {
    return dev.orchestrator.grpc.v1.Usage.newBuilder()
        .setInputTokens(u.inputTokens())
        .setOutputTokens(u.outputTokens())
        .setCost(u.cost().toPlainString())
        .build();
  }

  static TaskEvent event(dev.orchestrator.lifecycle.TaskEvent e) {
    TaskEvent.Builder b =
        TaskEvent.newBuilder()
            .setTaskId(e.taskId().toString())
            .setTo(status(e.to()))
            .setAt(timestamp(e.at()))
            .setAttempt(e.attempt())
            .setReason(e.reason())
            .setVersion(e.version());
    if (e.from() != null) {
      b.setFrom(status(e.from()));
    }
    return b.build();
  }

  static Attempt attempt(dev.orchestrator.lifecycle.Attempt a) {
    Attempt.Builder b =
        Attempt.newBuilder()
            .setTaskId(a.taskId().toString())
            .setNumber(a.number())
            .setOutcome(AttemptOutcome.valueOf(OUTCOME_PREFIX + a.outcome().name()))
            .setUsage(usage(a.usage()));
    if (a.worker() != null) {
      b.setWorker(a.worker());
    }
    if (a.startedAt() != null) {
      b.setStartedAt(timestamp(a.startedAt()));
    }
    if (a.finishedAt() != null) {
      b.setFinishedAt(timestamp(a.finishedAt()));
    }
    if (a.error() != null) {
      b.setError(error(a.error()));
    }
    if (a.model() != null) {
      b.setModel(a.model());
    }
    if (a.output() != null) {
      b.setOutput(a.output());
    }
    return b.build();
  }

  static TaskLineage lineage(Lineage l) {
    TaskLineage.Builder b = TaskLineage.newBuilder();
    l.tasks().forEach(t -> b.addTasks(task(t)));
    l.edges()
        .forEach(
            e ->
                b.addEdges(
                    TaskLineage.Edge.newBuilder()
                        .setParentId(e.parentId().toString())
                        .setChildId(e.childId().toString())));
    return b.build();
  }

  static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  private static String quote(String text) {
    if (text == null) {
      return "(none)";
    }
    String head = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return "\"" + head + "\"";
  }
}

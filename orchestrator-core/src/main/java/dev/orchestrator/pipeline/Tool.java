package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.retry.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * A tool a pipeline step may call: a name, what it does (for a planner or a model choosing it), the
 * JSON schema of its arguments, and the function itself. Each call runs as a step task, so the
 * tool's timeout and retries are the task's: a call that outlives its timeout is interrupted and
 * retried by its policy, like any attempt.
 *
 * <pre>{@code
 * Tool search = Tool.builder("ticket_search")
 *     .description("Finds tickets of a project by text")
 *     .parameters("{\"type\":\"object\",\"properties\":{\"project\":{\"type\":\"string\"}},"
 *         + "\"required\":[\"project\"]}")
 *     .timeout(Duration.ofSeconds(10)).maxAttempts(3)
 *     .function(args -> tickets.search(args.path("project").asText()))
 *     .build();
 * }</pre>
 *
 * @param name unique in its registry: letters, digits, {@code _} and {@code -}
 * @param description what it does and returns
 * @param parameters JSON schema of its arguments (an object schema)
 * @param timeout longest time one call may take
 * @param maxAttempts calls allowed, the first included
 * @param retryPolicy backoff between calls, or null for the orchestrator's default
 * @param typicalDuration what a call usually takes, for estimates
 * @param function the call
 */
public record Tool(
    String name,
    String description,
    JsonNode parameters,
    Duration timeout,
    int maxAttempts,
    RetryPolicy retryPolicy,
    Duration typicalDuration,
    Function function) {

  /** The body of a tool: its arguments in, its result out (text, often JSON). */
  @FunctionalInterface
  public interface Function {
    /**
     * @throws Exception a failure the step's attempt ends with (retried when retryable, see {@link
     *     dev.orchestrator.retry.ErrorClassifier})
     */
    String call(JsonNode arguments) throws Exception;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  public Tool {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("a tool name is 1..64 of [A-Za-z0-9_-]: " + name);
    }
    description = description == null ? "" : description;
    parameters = parameters == null ? JSON.createObjectNode().put("type", "object") : parameters;
    if (!parameters.isObject()) {
      throw new IllegalArgumentException("a tool's parameters are a JSON schema object: " + name);
    }
    timeout = timeout == null ? Duration.ofMinutes(1) : timeout;
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    typicalDuration = typicalDuration == null ? Duration.ofSeconds(1) : typicalDuration;
    Objects.requireNonNull(function, "function");
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds a {@link Tool}; only the name and the function are required. */
  public static final class Builder {
    private final String name;
    private String description;
    private JsonNode parameters;
    private Duration timeout;
    private int maxAttempts = 3;
    private RetryPolicy retryPolicy;
    private Duration typicalDuration;
    private Function function;

    private Builder(String name) {
      this.name = name;
    }

    public Builder description(String v) {
      description = v;
      return this;
    }

    /** The JSON schema of the arguments, as JSON text. */
    public Builder parameters(String jsonSchema) {
      try {
        parameters = JSON.readTree(jsonSchema);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("not a JSON schema: " + e.getMessage(), e);
      }
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    public Builder maxAttempts(int v) {
      maxAttempts = v;
      return this;
    }

    public Builder retryPolicy(RetryPolicy v) {
      retryPolicy = v;
      return this;
    }

    public Builder typicalDuration(Duration v) {
      typicalDuration = v;
      return this;
    }

    public Builder function(Function v) {
      function = v;
      return this;
    }

    public Tool build() {
      return new Tool(
          name,
          description,
          parameters,
          timeout,
          maxAttempts,
          retryPolicy,
          typicalDuration,
          function);
    }
  }
}

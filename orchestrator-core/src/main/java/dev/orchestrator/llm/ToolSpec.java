package dev.orchestrator.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A tool the model may call: its name, what it does, and the JSON schema of its arguments.
 *
 * <pre>{@code
 * ToolSpec weather = new ToolSpec(
 *     "get_weather",
 *     "The current weather in a city",
 *     """
 *     {"type": "object",
 *      "properties": {"city": {"type": "string", "description": "the city's name"}},
 *      "required": ["city"]}
 *     """);
 * }</pre>
 *
 * @param name what the model calls it by: 1 to 64 letters, digits, underscores or hyphens (the
 *     names every major provider accepts)
 * @param description what the tool does and when to use it, or null
 * @param parameters the JSON schema of the arguments, an object schema ({@code "type": "object"},
 *     or no type); null for a tool without arguments
 */
public record ToolSpec(String name, String description, String parameters) {
  /** The schema of a tool without arguments. */
  public static final String NO_PARAMETERS = "{\"type\":\"object\",\"properties\":{}}";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();

  public ToolSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a tool name is 1 to 64 letters, digits, '_' or '-': '" + name + "'");
    }
    parameters = parameters == null ? NO_PARAMETERS : parameters;
    JsonNode schema = parse(name, parameters);
    if (!schema.isObject()
        || (schema.has("type") && !"object".equals(schema.path("type").asText(null)))) {
      throw new IllegalArgumentException(
          "the parameters of tool '" + name + "' must be a JSON object schema: " + parameters);
    }
  }

  /** The parameters schema as a JSON tree (a fresh copy: changing it changes nothing here). */
  public JsonNode parametersSchema() {
    return parse(name, parameters);
  }

  private static JsonNode parse(String name, String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "the parameters of tool '" + name + "' are not JSON: " + e.getOriginalMessage(), e);
    }
  }
}

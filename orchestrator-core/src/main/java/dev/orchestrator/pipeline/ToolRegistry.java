package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tools of a pipeline, by name. Immutable; thread-safe. */
public final class ToolRegistry {
  private final Map<String, Tool> tools;

  private ToolRegistry(Map<String, Tool> tools) {
    this.tools = Map.copyOf(tools);
  }

  /** A registry of these tools; two with one name are refused. */
  public static ToolRegistry of(Collection<Tool> tools) {
    Map<String, Tool> byName = new LinkedHashMap<>();
    for (Tool t : tools) {
      if (byName.putIfAbsent(t.name(), t) != null) {
        throw new IllegalArgumentException("two tools named " + t.name());
      }
    }
    return new ToolRegistry(byName);
  }

  public static ToolRegistry of(Tool... tools) {
    return of(List.of(tools));
  }

  public Optional<Tool> tool(String name) {
    return Optional.ofNullable(tools.get(name));
  }

  /** Every tool, by name. */
  public List<Tool> tools() {
    return tools.values().stream().sorted(java.util.Comparator.comparing(Tool::name)).toList();
  }

  /**
   * What is wrong with calling the tool with these arguments, or empty: an unknown tool, arguments
   * that are not an object, a required argument missing, or an argument of another JSON type than
   * its schema's {@code type} (the checks a plan is held to before it runs).
   */
  public List<String> problems(String name, JsonNode arguments) {
    Tool tool = tools.get(name);
    if (tool == null) {
      return List.of("unknown tool '" + name + "' (known: " + tools.keySet() + ")");
    }
    if (arguments == null || !arguments.isObject()) {
      return List.of("the arguments of " + name + " are not a JSON object");
    }
    List<String> problems = new java.util.ArrayList<>();
    for (JsonNode required : tool.parameters().path("required")) {
      if (!arguments.has(required.asText())) {
        problems.add(name + " needs argument '" + required.asText() + "'");
      }
    }
    JsonNode properties = tool.parameters().path("properties");
    arguments
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode schema = properties.get(e.getKey());
              if (schema == null) {
                if (tool.parameters().path("additionalProperties").asBoolean(true)) {
                  return;
                }
                problems.add(name + " has no argument '" + e.getKey() + "'");
              } else if (!matches(schema.path("type").asText(""), e.getValue())) {
                problems.add(
                    name + "'s argument '" + e.getKey() + "' must be " + schema.path("type"));
              }
            });
    return problems;
  }

  private static boolean matches(String type, JsonNode value) {
    return switch (type) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "array" -> value.isArray();
      case "object" -> value.isObject();
      default -> true;
    };
  }
}

package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ${...}} references of a plan's steps ({@code ${goal}}, {@code ${context.KEY}}, {@code
 * ${steps.ID.output}}) and their filling in. A reference nothing supplies is left as written.
 */
final class References {
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{\\s*([A-Za-z0-9_.\\-]+)\\s*}");
  private static final Pattern STEP = Pattern.compile("steps\\.([A-Za-z0-9_\\-]+)\\.output");

  private References() {}

  /** The ids of the steps a step's prompt and string arguments read. */
  static Set<String> stepsIn(Plan.Step step) {
    Set<String> ids = new LinkedHashSet<>();
    collect(step.prompt(), ids);
    texts(step.arguments(), text -> collect(text, ids));
    return ids;
  }

  private static void collect(String text, Set<String> ids) {
    if (text == null) {
      return;
    }
    Matcher m = REFERENCE.matcher(text);
    while (m.find()) {
      Matcher step = STEP.matcher(m.group(1));
      if (step.matches()) {
        ids.add(step.group(1));
      }
    }
  }

  private static void texts(JsonNode node, java.util.function.Consumer<String> each) {
    if (node.isTextual()) {
      each.accept(node.asText());
    }
    node.elements().forEachRemaining(child -> texts(child, each));
  }

  /** The text with each reference that {@code values} supplies filled in. */
  static String fill(String text, Map<String, String> values) {
    if (text == null) {
      return null;
    }
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A copy of the JSON with every string filled in. */
  static JsonNode fill(JsonNode node, Map<String, String> values) {
    if (node.isTextual()) {
      return TextNode.valueOf(fill(node.asText(), values));
    }
    if (node.isObject()) {
      ObjectNode copy = ((ObjectNode) node).objectNode();
      node.fields().forEachRemaining(e -> copy.set(e.getKey(), fill(e.getValue(), values)));
      return copy;
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy =
          com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
      node.elements().forEachRemaining(e -> copy.add(fill(e, values)));
      return copy;
    }
    return node;
  }
}

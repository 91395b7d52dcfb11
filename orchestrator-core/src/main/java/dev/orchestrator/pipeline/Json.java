package dev.orchestrator.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The JSON of a pipeline's task inputs and artifacts. */
final class Json {
  static final ObjectMapper MAPPER =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Json() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  static <T> T read(String text, Class<T> type) {
    try {
      return MAPPER.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not a " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first JSON object in a model's answer (which may wrap it in prose or a code fence), or null
   * when it holds none.
   */
  static JsonNode firstObject(String text) {
    if (text == null) {
      return null;
    }
    for (int start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
      try {
        JsonNode node = MAPPER.readerFor(JsonNode.class).readTree(text.substring(start));
        if (node != null && node.isObject()) {
          return node;
        }
      } catch (java.io.IOException notHere) {
        // try the next brace
      }
    }
    return null;
  }
}

package dev.orchestrator.spring.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The API's own JSON, in Jackson's conventions (ISO-8601 instants and durations, camelCase) and
 * strict on input: unknown fields, wrong types, duplicate keys, trailing data, invalid UTF-8 and
 * bodies over the limit are refused with a 400 problem. It is independent of the application's JSON
 * configuration (Spring Boot 4 configures Jackson 3; the orchestrator speaks Jackson 2).
 */
final class ApiJson {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
          .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();

  private ApiJson() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * Reads the request's body as JSON.
   *
   * @return the value, or null when the body is empty and {@code optional}
   */
  static <T> T read(HttpServletRequest request, int maxBytes, Class<T> type, boolean optional) {
    String text = body(request, maxBytes);
    if (text.isBlank()) {
      if (optional) {
        return null;
      }
      throw ApiProblem.badRequest("the request needs a JSON body");
    }
    String contentType = request.getContentType();
    if (contentType != null && !contentType.toLowerCase(java.util.Locale.ROOT).contains("json")) {
      throw ApiProblem.badRequest("the body must be application/json, not " + contentType);
    }
    try {
      T value = MAPPER.readValue(text, type);
      if (value == null) {
        throw ApiProblem.badRequest("the body must be a JSON object, not null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw ApiProblem.badRequest("unknown field '" + path(e) + "'");
    } catch (MismatchedInputException e) {
      throw ApiProblem.badRequest(
          "wrong value at '" + path(e) + "': expected " + expected(e.getTargetType()));
    } catch (JsonProcessingException e) {
      throw ApiProblem.badRequest("malformed JSON: " + e.getOriginalMessage());
    }
  }

  /** What a field of this type takes, in a client's words. */
  private static String expected(Class<?> type) {
    if (type == null) {
      return "another value";
    }
    if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
      return "a number";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == java.time.Instant.class) {
      return "an ISO-8601 instant such as 2026-12-01T10:00:00Z";
    }
    if (type == java.time.Duration.class) {
      return "an ISO-8601 duration such as PT30S";
    }
    if (type == java.util.UUID.class) {
      return "a UUID";
    }
    if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    return "an object";
  }

  /** Where in the body a mapping error is, e.g. {@code tasks[2].priority}. */
  private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    return path.length() == 0 ? "(body)" : path.toString();
  }

  private static String body(HttpServletRequest request, int maxBytes) {
    byte[] bytes;
    try (InputStream in = request.getInputStream()) {
      bytes = in.readNBytes(maxBytes + 1);
    } catch (IOException e) {
      throw ApiProblem.badRequest("the body could not be read: " + e.getMessage());
    }
    if (bytes.length > maxBytes) {
      throw ApiProblem.badRequest("the body is larger than " + maxBytes + " bytes");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiProblem.badRequest("the body is not valid UTF-8");
    }
  }
}

package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.llm.LlmRequest;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The front door's decision: whether a request needs a pipeline or one LLM call. It runs as the
 * first task of what it starts (see {@link Pipelines#ask}), its decision traced.
 */
@FunctionalInterface
public interface Triage {
  Route route(String request, Map<String, String> context, Stage stage) throws Exception;

  /**
   * Where a request goes.
   *
   * @param pipeline the pipeline to run, or null for one LLM call
   * @param reason why, for the trace
   */
  record Route(String pipeline, String reason) {
    public Route {
      reason = reason == null ? "" : reason;
    }

    public static Route single(String reason) {
      return new Route(null, reason);
    }

    public static Route pipeline(String name, String reason) {
      return new Route(Objects.requireNonNull(name, "name"), reason);
    }

    /** True for one LLM call. */
    public boolean isSingle() {
      return pipeline == null;
    }
  }

  /** Deterministic: requests the predicate calls complex go to the pipeline, the rest to a call. */
  static Triage rules(Predicate<String> complex, String pipeline) {
    return (request, context, stage) ->
        complex.test(request)
            ? Route.pipeline(pipeline, "the rules call it complex")
            : Route.single("the rules call it simple");
  }

  /**
   * A model classifies the request: it is told the pipelines (name and what each is for) and
   * answers with JSON {@code {"route": "single" | "<pipeline>", "reason": "..."}}; an answer naming
   * no known route sends the request to one call, the answer in the reason.
   */
  static Triage llm(Map<String, String> pipelines) {
    Map<String, String> known = Map.copyOf(pipelines);
    return (request, context, stage) -> {
      StringBuilder prompt =
          new StringBuilder(
              "Decide whether this request needs a multi-step pipeline or one answer. Answer only"
                  + " with JSON {\"route\": \"single\" or a pipeline's name, \"reason\": \"...\"}."
                  + "\nPipelines:\n");
      known.forEach(
          (name, what) -> prompt.append("- ").append(name).append(": ").append(what).append('\n'));
      prompt.append("Request: ").append(request);
      String answer = stage.callLlm(LlmRequest.of(stage.model(), prompt.toString())).text();
      JsonNode node = Json.firstObject(answer);
      String route = node == null ? "" : node.path("route").asText("");
      String reason = node == null ? answer : node.path("reason").asText("");
      return known.containsKey(route)
          ? Route.pipeline(route, reason)
          : Route.single(route.equals("single") ? reason : "no route in the answer: " + answer);
    };
  }
}

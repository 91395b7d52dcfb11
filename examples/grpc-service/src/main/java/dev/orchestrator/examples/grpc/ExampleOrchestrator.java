package dev.orchestrator.examples.grpc;

import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.llm.Langchain4jLlmClient;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisRateLimiter;
import dev.orchestrator.redis.RedisTaskQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The orchestrator of the example, from the same environment variables as the Spring example:
 * {@code ORCHESTRATOR_POSTGRES_URL} (a JDBC URL: PostgreSQL store and work source), {@code
 * ORCHESTRATOR_REDIS_URL} (Redis queue, event bus and rate limiter), {@code OPENAI_BASE_URL},
 * {@code OPENAI_API_KEY}, {@code OPENAI_MODEL} (a real model through langchain4j). Unset: the
 * in-memory store and queue, and the mock LLM with {@value #MOCK_LATENCY_MILLIS} ms per call.
 */
final class ExampleOrchestrator {
  static final long MOCK_LATENCY_MILLIS = 300;

  /** The template every example server registers. */
  static final String SUMMARY_TEMPLATE = "summarise";

  private ExampleOrchestrator() {}

  /** The orchestrator and what it holds open (closed after it, in reverse order). */
  record Built(Orchestrator orchestrator, List<AutoCloseable> resources, String description)
      implements AutoCloseable {
    @Override
    public void close() {
      orchestrator.close();
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception e) {
          // closing anyway
        }
      }
    }
  }

  static Built fromEnvironment(Map<String, String> env) {
    List<AutoCloseable> resources = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    Orchestrator.Builder b = Orchestrator.builder().workers(8);
    b.template(SUMMARY_TEMPLATE, "Summarise in one sentence: {{text}}");
    String postgres = blankToNull(env.get("ORCHESTRATOR_POSTGRES_URL"));
    String redis = blankToNull(env.get("ORCHESTRATOR_REDIS_URL"));
    if (postgres != null) {
      PostgresTaskStore store = PostgresTaskStore.builder().jdbcUrl(postgres, null, null).build();
      resources.add(store);
      b.store(store);
      if (redis == null) {
        PostgresWorkSource source = PostgresWorkSource.of(store);
        resources.add(source);
        b.queue(source);
      }
      parts.add("PostgreSQL store");
    } else {
      parts.add("in-memory store");
    }
    if (redis != null) {
      RedisTaskQueue queue = RedisTaskQueue.builder().url(redis).build();
      RedisEventBus bus = RedisEventBus.builder().url(redis).build();
      RedisRateLimiter limiter = RedisRateLimiter.builder().url(redis).build();
      resources.add(queue);
      resources.add(bus);
      resources.add(limiter);
      b.queue(queue).eventBus(bus).rateLimiter(limiter);
      parts.add("Redis queue, bus and rate limiter");
    }
    String apiKey = blankToNull(env.get("OPENAI_API_KEY"));
    String baseUrl = blankToNull(env.get("OPENAI_BASE_URL"));
    String model = blankToNull(env.get("OPENAI_MODEL"));
    if (apiKey != null || baseUrl != null) {
      OpenAiChatModel.OpenAiChatModelBuilder chat =
          OpenAiChatModel.builder()
              .apiKey(apiKey == null ? "none" : apiKey)
              .modelName(model == null ? "gpt-4o-mini" : model)
              .maxRetries(0); // the orchestrator owns retries
      if (baseUrl != null) {
        chat.baseUrl(baseUrl);
      }
      b.llm(new Langchain4jLlmClient(chat.build()));
      parts.add("model " + (model == null ? "gpt-4o-mini" : model));
    } else {
      b.llm(MockLlmClient.builder().latency(Duration.ofMillis(MOCK_LATENCY_MILLIS)).build());
      parts.add("mock LLM (" + MOCK_LATENCY_MILLIS + " ms a call)");
    }
    Orchestrator orchestrator = b.build().start();
    return new Built(orchestrator, resources, String.join(", ", parts));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}

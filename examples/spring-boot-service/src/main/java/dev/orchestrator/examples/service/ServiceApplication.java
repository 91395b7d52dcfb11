package dev.orchestrator.examples.service;

import com.zaxxer.hikari.HikariDataSource;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spring.OrchestratorHandler;
import dev.orchestrator.spring.web.OwnerResolver;
import java.time.Duration;
import java.util.Locale;
import javax.sql.DataSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * A host service: the starter gives it the orchestrator, the REST API at {@code /orchestrator/api},
 * the event stream and Actuator health; this class adds what a real service would: a handler of its
 * own, a pipeline ({@link WeeklyUpdate}: the dashboard's Runs view runs it), and its PostgreSQL,
 * Redis and model from the environment.
 *
 * <ul>
 *   <li>{@code ORCHESTRATOR_POSTGRES_URL} (a JDBC URL): tasks in PostgreSQL, shared by every
 *       instance; otherwise in memory.
 *   <li>{@code ORCHESTRATOR_REDIS_URL} ({@code redis://host:port}): dispatch, rate limits and
 *       events through Redis (bound to {@code orchestrator.redis.url} by Spring's relaxed binding).
 *   <li>{@code OPENAI_API_KEY}, {@code OPENAI_BASE_URL}, {@code OPENAI_MODEL}: an OpenAI-compatible
 *       model (OpenAI, NVIDIA NIM, Ollama, vLLM); otherwise the mock, with a realistic latency.
 *   <li>{@code X-User-Id} on a request makes it act for that owner; without it, for all.
 * </ul>
 */
@SpringBootApplication
public class ServiceApplication {
  public static void main(String[] args) {
    SpringApplication.run(ServiceApplication.class, args);
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnProperty("ORCHESTRATOR_POSTGRES_URL")
  DataSource dataSource(Environment env) {
    HikariDataSource pool = new HikariDataSource();
    pool.setJdbcUrl(env.getRequiredProperty("ORCHESTRATOR_POSTGRES_URL"));
    pool.setMaximumPoolSize(16);
    pool.setPoolName("orchestrator");
    return pool;
  }

  @Bean
  @ConditionalOnProperty("OPENAI_API_KEY")
  ChatModel chatModel(Environment env) {
    return OpenAiChatModel.builder()
        .baseUrl(env.getProperty("OPENAI_BASE_URL", "https://api.openai.com/v1"))
        .apiKey(env.getRequiredProperty("OPENAI_API_KEY"))
        .modelName(env.getProperty("OPENAI_MODEL", "gpt-4o-mini"))
        .maxRetries(0) // the orchestrator owns retries
        .timeout(Duration.ofSeconds(60))
        .build();
  }

  /** A non-LLM step: counts the words of its parent's output (or its own prompt). */
  @Bean
  OrchestratorHandler wordCount() {
    return new OrchestratorHandler(
        "word-count",
        ctx -> {
          String text = ctx.parents().isEmpty() ? ctx.prompt() : ctx.parents().get(0).output();
          long words = text == null ? 0 : text.strip().split("\\s+").length;
          return HandlerResult.of(String.format(Locale.ROOT, "%d words", words));
        });
  }

  /** The demo pipeline: a project's weekly update from bundled tickets and metrics. */
  @Bean
  Pipeline weeklyUpdate() {
    return WeeklyUpdate.pipeline();
  }

  /** Requests with {@code X-User-Id} act for that owner; others see every owner's tasks. */
  @Bean
  OwnerResolver owners() {
    return request -> {
      String owner = request.getHeader("X-User-Id");
      return owner == null || owner.isBlank() ? null : owner.strip();
    };
  }
}

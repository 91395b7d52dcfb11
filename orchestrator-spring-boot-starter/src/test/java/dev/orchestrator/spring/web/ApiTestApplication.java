package dev.orchestrator.spring.web;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spring.OrchestratorHandler;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A host service as a user writes one: auto-configuration only, a few handlers, and owners from
 * {@code X-User-Id} when a request has one (none: every owner, as an operator).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class ApiTestApplication {
  /** Sleeps until cancelled: a task to cancel while it runs. */
  @Bean
  OrchestratorHandler slow() {
    return new OrchestratorHandler(
        "slow",
        ctx -> {
          Thread.sleep(60_000);
          return HandlerResult.of("woke up");
        });
  }

  /** Always fails for good: a task to retry. */
  @Bean
  OrchestratorHandler broken() {
    return new OrchestratorHandler(
        "broken",
        ctx -> {
          throw new LlmException(ErrorKind.INVALID_REQUEST, "broken on purpose");
        });
  }

  @Bean
  OwnerResolver ownerFromHeaderWhenPresent() {
    return request -> {
      String owner = request.getHeader("X-User-Id");
      if ("-".equals(owner)) {
        throw new OwnerResolver.OwnerRequiredException("'-' names nobody");
      }
      return owner == null || owner.isBlank() ? null : owner;
    };
  }
}

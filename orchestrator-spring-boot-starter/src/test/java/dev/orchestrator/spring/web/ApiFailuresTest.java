package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.jdbc.StoreException;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.DelegatingTaskStore;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** A store that stops answering is a 503 problem; a failure nobody foresaw is a bare 500. */
@SpringBootTest(
    classes = {ApiTestApplication.class, ApiFailuresTest.FailingStore.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties =
        "spring.autoconfigure.exclude="
            + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
class ApiFailuresTest extends ApiTestSupport {
  /** What the store throws on its next calls; null: it works. */
  static final AtomicReference<RuntimeException> FAILURE = new AtomicReference<>();

  @TestConfiguration
  static class FailingStore {
    @Bean
    TaskStore failingStore() {
      return new DelegatingTaskStore(new InMemoryTaskStore()) {
        @Override
        protected <T> T call(Supplier<T> op) {
          RuntimeException e = FAILURE.get();
          if (e != null) {
            throw e;
          }
          return op.get();
        }
      };
    }
  }

  @AfterEach
  void heal() {
    FAILURE.set(null);
  }

  @Test
  void aStoreThatDoesNotAnswerIsUnavailable() throws Exception {
    FAILURE.set(
        new StoreException("connection refused", new SQLException("connection refused", "08001")));
    Reply r = get("/tasks/" + UUID.randomUUID());
    assertProblem(r, 503, "unavailable");
    assertThat(r.raw().body()).doesNotContain("connection refused");
    assertThat(get("/health").status()).isEqualTo(503);
    assertProblem(post("/tasks", "{\"prompt\": \"x\"}"), 503, "unavailable");
    assertProblem(get("/runs/" + UUID.randomUUID()), 503, "unavailable");
    assertProblem(post("/pipelines/lookup/runs", "{\"goal\": \"x\"}"), 503, "unavailable");
  }

  @Test
  void anUnforeseenFailureIsAnInternalProblemWithoutItsDetails() throws Exception {
    FAILURE.set(new IllegalStateException("secret internals"));
    Reply r = get("/tasks/" + UUID.randomUUID());
    assertProblem(r, 500, "internal");
    assertThat(r.raw().body()).doesNotContain("secret internals");
  }
}

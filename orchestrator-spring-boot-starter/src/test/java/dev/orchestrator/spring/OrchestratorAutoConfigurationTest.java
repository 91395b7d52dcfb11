package dev.orchestrator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.Langchain4jLlmClient;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryRateLimiter;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.metrics.MicrometerMetricsRecorder;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisRateLimiter;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.redis.RedisTestServer;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.TaskListener;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spring.web.OrchestratorWebAutoConfiguration;
import dev.orchestrator.spring.web.PipelineApiController;
import dev.orchestrator.spring.web.TaskApiController;
import dev.orchestrator.testing.Waits;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Every condition of the auto-configuration, and that each optional dependency is optional. */
class OrchestratorAutoConfigurationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static HikariDataSource dataSource;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(OrchestratorAutoConfiguration.class))
          .withPropertyValues("orchestrator.mock.latency=0ms");

  @AfterAll
  static void closePool() {
    if (dataSource != null) {
      dataSource.close();
    }
  }

  /** The pool is the test class's: a context must not close it with its beans. */
  private static final org.springframework.beans.factory.config.BeanDefinitionCustomizer SHARED =
      bd -> bd.setDestroyMethodName("");

  private static synchronized DataSource postgres() {
    if (dataSource == null) {
      dataSource = PostgresTestDatabase.dataSource(4);
    }
    return dataSource;
  }

  private static ChatModel echoModel() {
    return new ChatModel() {
      @Override
      public ChatResponse doChat(ChatRequest request) {
        return ChatResponse.builder().aiMessage(AiMessage.from("echo")).build();
      }
    };
  }

  @Test
  void withNothingItRunsOnTheEmbeddedDefaultsAndSaysSoOnce() {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(OrchestratorAutoConfiguration.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      runner.run(
          context -> {
            assertThat(context).hasSingleBean(Orchestrator.class);
            assertThat(context.getBean(TaskStore.class)).isInstanceOf(InMemoryTaskStore.class);
            assertThat(context.getBean(TaskQueue.class)).isInstanceOf(InMemoryTaskQueue.class);
            assertThat(context.getBean(dev.orchestrator.spi.EventBus.class))
                .isInstanceOf(InMemoryEventBus.class);
            assertThat(context.getBean(LlmClient.class)).isInstanceOf(MockLlmClient.class);
            assertThat(context.getBean(RateLimiter.class)).isSameAs(RateLimiter.UNLIMITED);
            assertThat(context).doesNotHaveBean(MetricsRecorder.class);
            Orchestrator o = context.getBean(Orchestrator.class);
            Task t = o.submit(TaskSpec.prompt("hello").build());
            assertThat(o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).status())
                .isEqualTo(TaskStatus.COMPLETED);
          });
    } finally {
      logger.detachAppender(logged);
    }
    assertThat(logged.list)
        .filteredOn(e -> e.getFormattedMessage().contains("runs on the in-memory store"))
        .hasSize(1)
        .allMatch(
            e ->
                e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().contains("mock LLM"));
  }

  @Test
  void aDataSourceBringsThePostgresStoreAndWorkSource() {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try {
      runner
          .withBean(DataSource.class, OrchestratorAutoConfigurationTest::postgres, SHARED)
          .withPropertyValues("orchestrator.jdbc.table-prefix=" + prefix)
          .run(
              context -> {
                assertThat(context.getBean(TaskStore.class)).isInstanceOf(PostgresTaskStore.class);
                assertThat(context.getBean(TaskQueue.class)).isInstanceOf(PostgresWorkSource.class);
                assertThat(((PostgresTaskStore) context.getBean(TaskStore.class)).tablePrefix())
                    .isEqualTo(prefix);
                Orchestrator o = context.getBean(Orchestrator.class);
                Task t = o.submit(TaskSpec.prompt("in postgres").build());
                assertThat(o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).status())
                    .isEqualTo(TaskStatus.COMPLETED);
              });
    } finally {
      PostgresTestDatabase.drop(postgres(), prefix);
    }
  }

  @Test
  void theMemoryStoreCanBeForcedBesideADataSource() {
    runner
        .withBean(DataSource.class, OrchestratorAutoConfigurationTest::postgres, SHARED)
        .withPropertyValues("orchestrator.store=memory")
        .run(
            context ->
                assertThat(context.getBean(TaskStore.class)).isInstanceOf(InMemoryTaskStore.class));
  }

  @Test
  void routingAndScheduleGraceComeFromProperties() {
    runner
        .withPropertyValues(
            "orchestrator.worker.queues=default,gpu",
            "orchestrator.worker.remote-types=verify",
            "orchestrator.schedule-grace=5m")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Orchestrator o = context.getBean(Orchestrator.class);
              assertThat(o.submit(TaskSpec.builder().type("verify").prompt("x").build()).status())
                  .isEqualTo(TaskStatus.QUEUED);
            });
    runner
        .withPropertyValues("orchestrator.worker.task-types=nothing-handles-this")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasRootCauseMessage("taskTypes without a handler: [nothing-handles-this]"));
    runner
        .withPropertyValues("orchestrator.schedule-grace=-1s")
        .run(context -> assertThat(context).hasFailed());
  }

  @Test
  void forcingTheJdbcStoreWithoutADataSourceFailsWithTheReason() {
    runner
        .withPropertyValues("orchestrator.store=jdbc")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("orchestrator.store=jdbc")
                    .hasMessageContaining("no DataSource"));
  }

  @Test
  void aRedisUrlBringsTheRedisQueueLimiterAndEventBus() {
    String prefix = RedisTestServer.newPrefix(getClass());
    try {
      runner
          .withPropertyValues(
              "orchestrator.redis.url=" + RedisTestServer.url(),
              "orchestrator.redis.key-prefix=" + prefix,
              "orchestrator.rate-limits.gpt-4o.requests-per-second=5",
              "orchestrator.rate-limits.gpt-4o.tokens-per-minute=1000")
          .run(
              context -> {
                assertThat(context.getBean(TaskQueue.class)).isInstanceOf(RedisTaskQueue.class);
                assertThat(context.getBean(dev.orchestrator.spi.EventBus.class))
                    .isInstanceOf(RedisEventBus.class);
                assertThat(context.getBean(RateLimiter.class)).isInstanceOf(RedisRateLimiter.class);
                Orchestrator o = context.getBean(Orchestrator.class);
                Task t = o.submit(TaskSpec.prompt("through redis").model("gpt-4o").build());
                assertThat(o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).status())
                    .isEqualTo(TaskStatus.COMPLETED);
              });
    } finally {
      RedisTestServer.deleteKeys(RedisTestServer.url(), prefix);
    }
  }

  @Test
  void anEmptyRedisUrlMeansNoRedis() {
    runner
        .withPropertyValues("orchestrator.redis.url=")
        .run(
            context ->
                assertThat(context.getBean(TaskQueue.class)).isInstanceOf(InMemoryTaskQueue.class));
  }

  @Test
  void rateLimitsTemplatesHandlersListenersAndCustomizersComeFromPropertiesAndBeans() {
    List<TaskEvent> heard = new CopyOnWriteArrayList<>();
    runner
        .withPropertyValues(
            "orchestrator.templates.greet=Say hello to {{name}}",
            "orchestrator.rate-limits.gpt-4o.requests-per-second=50",
            "orchestrator.worker.count=3",
            "orchestrator.node-id=node-under-test")
        .withBean(
            "upper",
            OrchestratorHandler.class,
            () ->
                new OrchestratorHandler(
                    "upper", ctx -> HandlerResult.of(ctx.prompt().toUpperCase())))
        .withBean(TaskListener.class, () -> heard::add)
        .withBean(OrchestratorCustomizer.class, () -> b -> b.batchSize(77))
        .run(
            context -> {
              assertThat(context.getBean(RateLimiter.class))
                  .isInstanceOf(InMemoryRateLimiter.class);
              Orchestrator o = context.getBean(Orchestrator.class);
              assertThat(o.nodeId()).isEqualTo("node-under-test");
              assertThat(o.templates()).containsEntry("greet", "Say hello to {{name}}");
              Task t = o.submit(TaskSpec.builder().type("upper").prompt("shout").build());
              Task done = o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
              assertThat(done.output()).isEqualTo("SHOUT");
              Waits.until(
                  "the listener bean heard the completion",
                  WAIT,
                  () ->
                      heard.stream()
                          .anyMatch(
                              e -> e.taskId().equals(t.id()) && e.to() == TaskStatus.COMPLETED));
              Task greeting =
                  o.submit(TaskSpec.template("greet", java.util.Map.of("name", "Ada")).build());
              assertThat(greeting.prompt()).isEqualTo("Say hello to Ada");
            });
  }

  @Test
  void aChatModelBeanBringsTheLangchain4jClientUnlessTheMockIsForced() {
    runner
        .withBean(ChatModel.class, OrchestratorAutoConfigurationTest::echoModel)
        .run(
            context -> {
              assertThat(context.getBean(LlmClient.class)).isInstanceOf(Langchain4jLlmClient.class);
              Orchestrator o = context.getBean(Orchestrator.class);
              Task t = o.submit(TaskSpec.prompt("hi").build());
              assertThat(o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).output())
                  .isEqualTo("echo");
            });
    runner
        .withBean(ChatModel.class, OrchestratorAutoConfigurationTest::echoModel)
        .withPropertyValues("orchestrator.llm=mock")
        .run(
            context ->
                assertThat(context.getBean(LlmClient.class)).isInstanceOf(MockLlmClient.class));
    runner
        .withPropertyValues("orchestrator.llm=langchain4j")
        .run(context -> assertThat(context).hasFailed());
  }

  @Test
  void aMeterRegistryGetsTheOrchestratorsMeters() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              assertThat(context.getBean(MetricsRecorder.class))
                  .isInstanceOf(MicrometerMetricsRecorder.class);
              Orchestrator o = context.getBean(Orchestrator.class);
              Task t = o.submit(TaskSpec.prompt("measured").build());
              o.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              Waits.until(
                  "transitions counted",
                  WAIT,
                  () -> registry.find("orchestrator.tasks.transitions").counters().size() > 0);
            });
  }

  @Test
  void everyBeanBacksOffForTheApplicationsOwn() {
    InMemoryTaskStore own = new InMemoryTaskStore();
    runner
        .withBean(TaskStore.class, () -> own)
        .withBean(DataSource.class, OrchestratorAutoConfigurationTest::postgres, SHARED)
        .run(
            context -> {
              assertThat(context.getBean(TaskStore.class)).isSameAs(own);
              assertThat(context.getBean(TaskQueue.class)).isInstanceOf(InMemoryTaskQueue.class);
            });
  }

  @Test
  void disabledItConfiguresNothing() {
    runner
        .withPropertyValues("orchestrator.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(Orchestrator.class);
              assertThat(context).doesNotHaveBean(TaskStore.class);
            });
  }

  @Test
  void aNodeWithoutWorkersSubmitsButRunsNothing() {
    runner
        .withPropertyValues("orchestrator.worker.enabled=false")
        .run(
            context -> {
              Orchestrator o = context.getBean(Orchestrator.class);
              Task t = o.submit(TaskSpec.prompt("for another node").build());
              assertThat(o.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
              assertThat(context.getBean(OrchestratorLifecycle.class).isRunning()).isTrue();
              assertThat(o.runningCount()).isZero();
            });
  }

  @Test
  void theHealthIndicatorReportsTheStore() {
    runner.run(
        context -> {
          Health health =
              context.getBean("orchestratorHealthIndicator", HealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("store", "InMemoryTaskStore");
        });
  }

  // ---- each optional dependency is optional ----

  @Test
  void withoutOrchestratorJdbcADataSourceIsIgnored() {
    runner
        .withClassLoader(new FilteredClassLoader(PostgresTaskStore.class))
        .withBean(DataSource.class, OrchestratorAutoConfigurationTest::postgres, SHARED)
        .run(
            context ->
                assertThat(context.getBean(TaskStore.class)).isInstanceOf(InMemoryTaskStore.class));
  }

  @Test
  void withoutOrchestratorRedisARedisUrlIsIgnored() {
    runner
        .withClassLoader(new FilteredClassLoader(RedisTaskQueue.class))
        .withPropertyValues("orchestrator.redis.url=redis://127.0.0.1:6379")
        .run(
            context ->
                assertThat(context.getBean(TaskQueue.class)).isInstanceOf(InMemoryTaskQueue.class));
  }

  @Test
  void withoutLangchain4jTheMockRuns() {
    runner
        .withClassLoader(new FilteredClassLoader("dev.langchain4j"))
        .run(
            context ->
                assertThat(context.getBean(LlmClient.class)).isInstanceOf(MockLlmClient.class));
  }

  @Test
  void withoutMicrometerThereAreNoMeters() {
    runner
        .withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(MetricsRecorder.class);
            });
  }

  @Test
  void withoutActuatorThereIsNoHealthIndicator() {
    runner
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean("orchestratorHealthIndicator");
            });
  }

  @Test
  void theApiNeedsSpringMvcAndCanBeTurnedOff() {
    WebApplicationContextRunner web =
        new WebApplicationContextRunner()
            .withConfiguration(
                AutoConfigurations.of(
                    OrchestratorAutoConfiguration.class, OrchestratorWebAutoConfiguration.class));
    web.run(context -> assertThat(context).hasSingleBean(TaskApiController.class));
    web.withPropertyValues("orchestrator.web.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(TaskApiController.class));
    web.withClassLoader(
            new FilteredClassLoader(org.springframework.web.servlet.DispatcherServlet.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(TaskApiController.class);
            });
  }

  /** A pipeline of one checkpoint step: no tool, no model. */
  private static Pipeline checkpoint(String name) {
    return Pipeline.builder(name)
        .planner(
            (request, stage) -> new Plan(request.goal(), List.of(Plan.Step.checkpoint("only"))))
        .build();
  }

  private static void aRunCompletes(Pipelines pipelines, Orchestrator o, String name)
      throws Exception {
    PipelineRun run = pipelines.start(o, name, "check", Map.of());
    assertThat(pipelines.await(o, run.id(), WAIT).status()).isEqualTo(PipelineRun.Status.COMPLETED);
  }

  @Test
  void pipelineBeansMakeOnePipelinesWhoseHandlersTheOrchestratorHas() {
    runner
        .withBean("one", Pipeline.class, () -> checkpoint("one"))
        .withBean("two", Pipeline.class, () -> checkpoint("two"))
        .run(
            context -> {
              Pipelines pipelines = context.getBean(Pipelines.class);
              assertThat(pipelines.pipelines()).containsOnlyKeys("one", "two");
              aRunCompletes(pipelines, context.getBean(Orchestrator.class), "two");
            });
  }

  @Test
  void theApplicationsPipelinesBeanIsUsedAsItIs() {
    Pipelines own = Pipelines.of(checkpoint("own"));
    runner
        .withBean(Pipelines.class, () -> own)
        .withBean("beside", Pipeline.class, () -> checkpoint("beside"))
        .run(
            context -> {
              assertThat(context).hasSingleBean(Pipelines.class);
              assertThat(context.getBean(Pipelines.class)).isSameAs(own);
              aRunCompletes(own, context.getBean(Orchestrator.class), "own");
            });
  }

  @Test
  void withoutPipelinesThereAreNoPipelineHandlersOrEndpoints() {
    WebApplicationContextRunner web =
        new WebApplicationContextRunner()
            .withConfiguration(
                AutoConfigurations.of(
                    OrchestratorAutoConfiguration.class, OrchestratorWebAutoConfiguration.class));
    web.run(
        context -> {
          assertThat(context).doesNotHaveBean(Pipelines.class);
          assertThat(context).doesNotHaveBean("orchestratorPipelineHandlers");
          assertThat(context).doesNotHaveBean(PipelineApiController.class);
        });
    web.withBean(Pipeline.class, () -> checkpoint("one"))
        .run(context -> assertThat(context).hasSingleBean(PipelineApiController.class));
  }
}

package dev.orchestrator.spring;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresWorkSource;
import dev.orchestrator.llm.Langchain4jLlmClient;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.llm.PriceTable;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryRateLimiter;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.metrics.MicrometerMetricsRecorder;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.redis.RedisEventBus;
import dev.orchestrator.redis.RedisRateLimiter;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.EventBus;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.TaskListener;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spring.OrchestratorProperties.LlmType;
import dev.orchestrator.spring.OrchestratorProperties.StoreType;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import redis.clients.jedis.UnifiedJedis;

/**
 * The orchestrator, assembled from what the application has: its {@code DataSource} (the PostgreSQL
 * store and work source), Redis (dispatch, cluster-wide rate limits, cross-node events), a
 * langchain4j {@code ChatModel} (the real LLM client) and a Micrometer {@code MeterRegistry};
 * otherwise the in-memory parts and the mock LLM, said once at start-up. Every bean backs off when
 * the application defines its own, and {@code orchestrator.store} and {@code orchestrator.llm}
 * force a choice. Handlers ({@link OrchestratorHandler}), listeners ({@link TaskListener}) and
 * {@link OrchestratorCustomizer}s are taken from the context, and so are pipelines: a {@link
 * Pipelines} bean, or else one made of every {@link Pipeline} bean, whose handlers are installed.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnProperty(prefix = "orchestrator", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(OrchestratorProperties.class)
public class OrchestratorAutoConfiguration {
  private static final Logger log = LoggerFactory.getLogger(OrchestratorAutoConfiguration.class);

  /** Redis, when a URL is set or the application has a Jedis client. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({RedisTaskQueue.class, UnifiedJedis.class})
  @Conditional(RedisConfiguration.Configured.class)
  static class RedisConfiguration {
    /** {@code orchestrator.redis.url} is set, or the application has a Jedis client. */
    static class Configured extends AnyNestedCondition {
      Configured() {
        super(ConfigurationPhase.REGISTER_BEAN);
      }

      @ConditionalOnExpression("!'${orchestrator.redis.url:}'.isBlank()")
      static class UrlSet {}

      @ConditionalOnBean(UnifiedJedis.class)
      static class ClientDefined {}
    }

    /** Neither a Redis URL nor a Jedis client: PostgreSQL is the work source too. */
    static class NotConfigured extends NoneNestedConditions {
      NotConfigured() {
        super(ConfigurationPhase.REGISTER_BEAN);
      }

      @ConditionalOnExpression("!'${orchestrator.redis.url:}'.isBlank()")
      static class UrlSet {}

      @ConditionalOnBean(type = "redis.clients.jedis.UnifiedJedis")
      static class ClientDefined {}
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TaskQueue.class)
    RedisTaskQueue orchestratorTaskQueue(
        OrchestratorProperties properties, ObjectProvider<UnifiedJedis> jedis) {
      RedisTaskQueue.Builder b =
          RedisTaskQueue.builder().keyPrefix(properties.getRedis().getKeyPrefix());
      UnifiedJedis client = jedis.getIfAvailable();
      return (client != null ? b.jedis(client) : b.url(properties.getRedis().getUrl())).build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(EventBus.class)
    RedisEventBus orchestratorEventBus(
        OrchestratorProperties properties, ObjectProvider<UnifiedJedis> jedis) {
      RedisEventBus.Builder b =
          RedisEventBus.builder().keyPrefix(properties.getRedis().getKeyPrefix());
      UnifiedJedis client = jedis.getIfAvailable();
      return (client != null ? b.jedis(client) : b.url(properties.getRedis().getUrl())).build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(RateLimiter.class)
    RedisRateLimiter orchestratorRateLimiter(
        OrchestratorProperties properties, ObjectProvider<UnifiedJedis> jedis) {
      RedisRateLimiter.Builder b =
          RedisRateLimiter.builder().keyPrefix(properties.getRedis().getKeyPrefix());
      properties
          .getRateLimits()
          .forEach((model, l) -> b.limit(model, l.getRequestsPerSecond(), l.getTokensPerMinute()));
      UnifiedJedis client = jedis.getIfAvailable();
      return (client != null ? b.jedis(client) : b.url(properties.getRedis().getUrl())).build();
    }
  }

  /** PostgreSQL through the application's DataSource, unless the memory store is forced. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(PostgresTaskStore.class)
  @ConditionalOnBean(DataSource.class)
  @ConditionalOnExpression("!'${orchestrator.store:auto}'.equalsIgnoreCase('memory')")
  static class JdbcConfiguration {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TaskStore.class)
    PostgresTaskStore orchestratorTaskStore(
        DataSource dataSource, OrchestratorProperties properties) {
      return PostgresTaskStore.builder()
          .dataSource(dataSource)
          .tablePrefix(properties.getJdbc().getTablePrefix())
          .migrate(properties.getJdbc().isMigrate())
          .build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(TaskQueue.class)
    @ConditionalOnBean(PostgresTaskStore.class)
    @Conditional(RedisConfiguration.NotConfigured.class)
    PostgresWorkSource orchestratorTaskQueue(PostgresTaskStore store) {
      return PostgresWorkSource.of(store);
    }
  }

  /** The application's langchain4j ChatModel, unless the mock is forced. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.langchain4j.model.chat.ChatModel")
  @ConditionalOnBean(type = "dev.langchain4j.model.chat.ChatModel")
  @ConditionalOnExpression("!'${orchestrator.llm:auto}'.equalsIgnoreCase('mock')")
  static class Langchain4jConfiguration {
    @Bean
    @ConditionalOnMissingBean(LlmClient.class)
    Langchain4jLlmClient orchestratorLlmClient(dev.langchain4j.model.chat.ChatModel model) {
      return new Langchain4jLlmClient(model);
    }
  }

  /**
   * Pipelines: the application's {@link Pipelines}, or one made of its {@link Pipeline} beans (in
   * their order), installed on the orchestrator built here by a customizer. An application that
   * builds its own {@link Orchestrator} installs them itself ({@link Pipelines#install}).
   */
  @Configuration(proxyBeanMethods = false)
  @Conditional(PipelinesConfiguration.Defined.class)
  static class PipelinesConfiguration {
    /** The application has a {@link Pipelines} or a {@link Pipeline} bean. */
    static class Defined extends AnyNestedCondition {
      Defined() {
        super(ConfigurationPhase.REGISTER_BEAN);
      }

      @ConditionalOnBean(Pipelines.class)
      static class PipelinesDefined {}

      @ConditionalOnBean(Pipeline.class)
      static class PipelineDefined {}
    }

    @Bean
    @ConditionalOnMissingBean(Pipelines.class)
    Pipelines orchestratorPipelines(ObjectProvider<Pipeline> pipelines) {
      return Pipelines.of(pipelines.orderedStream().toArray(Pipeline[]::new));
    }

    /** Registers the pipeline stages' handlers (plan, step, verify) on the builder. */
    @Bean
    @ConditionalOnMissingBean(name = "orchestratorPipelineHandlers")
    OrchestratorCustomizer orchestratorPipelineHandlers(Pipelines pipelines) {
      return pipelines::install;
    }
  }

  /** The orchestrator's meters on the application's registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  static class MicrometerConfiguration {
    @Bean
    @ConditionalOnMissingBean(MetricsRecorder.class)
    MicrometerMetricsRecorder orchestratorMetrics(MeterRegistry registry) {
      return new MicrometerMetricsRecorder(registry);
    }
  }

  /** Actuator's health endpoint, when the application has it. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "orchestratorHealthIndicator")
    OrchestratorHealthIndicator orchestratorHealthIndicator(
        Orchestrator orchestrator, TaskStore store, TaskQueue queue, LlmClient llm) {
      return new OrchestratorHealthIndicator(orchestrator, store, queue, llm);
    }
  }

  @Bean
  @ConditionalOnMissingBean(TaskStore.class)
  InMemoryTaskStore orchestratorTaskStore(OrchestratorProperties properties) {
    if (properties.getStore() == StoreType.JDBC) {
      throw new IllegalStateException(
          "orchestrator.store=jdbc, but the application has no DataSource bean"
              + " or orchestrator-jdbc is not on the class path");
    }
    return new InMemoryTaskStore();
  }

  @Bean
  @ConditionalOnMissingBean(TaskQueue.class)
  InMemoryTaskQueue orchestratorTaskQueue() {
    return new InMemoryTaskQueue();
  }

  @Bean
  @ConditionalOnMissingBean(EventBus.class)
  InMemoryEventBus orchestratorEventBus() {
    return new InMemoryEventBus();
  }

  @Bean
  @ConditionalOnMissingBean(RateLimiter.class)
  RateLimiter orchestratorRateLimiter(OrchestratorProperties properties) {
    if (properties.getRateLimits().isEmpty()) {
      return RateLimiter.UNLIMITED;
    }
    InMemoryRateLimiter.Builder b = InMemoryRateLimiter.builder();
    properties
        .getRateLimits()
        .forEach((model, l) -> b.limit(model, l.getRequestsPerSecond(), l.getTokensPerMinute()));
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean(LlmClient.class)
  MockLlmClient orchestratorLlmClient(OrchestratorProperties properties) {
    if (properties.getLlm() == LlmType.LANGCHAIN4J) {
      throw new IllegalStateException(
          "orchestrator.llm=langchain4j, but the application has no langchain4j ChatModel bean");
    }
    return MockLlmClient.builder().latency(properties.getMock().getLatency()).build();
  }

  @Bean
  @ConditionalOnMissingBean(PriceTable.class)
  PriceTable orchestratorPrices(OrchestratorProperties properties) {
    PriceTable.Builder b = PriceTable.builder();
    properties.getPrices().forEach((model, p) -> b.price(model, p.getInput(), p.getOutput()));
    return b.build();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Orchestrator.class)
  Orchestrator orchestrator(
      OrchestratorProperties properties,
      TaskStore store,
      TaskQueue queue,
      EventBus bus,
      RateLimiter rateLimiter,
      LlmClient llm,
      PriceTable prices,
      ObjectProvider<MetricsRecorder> metrics,
      ObjectProvider<OrchestratorHandler> handlers,
      ObjectProvider<TaskListener> listeners,
      ObjectProvider<OrchestratorCustomizer> customizers) {
    OrchestratorProperties.Worker worker = properties.getWorker();
    OrchestratorProperties.Defaults defaults = properties.getDefaults();
    Orchestrator.Builder b =
        Orchestrator.builder()
            .store(store)
            .queue(queue)
            .eventBus(bus)
            .rateLimiter(rateLimiter)
            .llm(llm)
            .prices(prices)
            .metrics(metrics.getIfAvailable(() -> MetricsRecorder.NOOP))
            .workers(worker.getCount())
            .leaseDuration(worker.getLeaseDuration())
            .heartbeatInterval(worker.getHeartbeatInterval())
            .pollInterval(worker.getPollInterval())
            .shutdownGrace(worker.getShutdownGrace())
            .queues(worker.getQueues().toArray(String[]::new))
            .defaultMaxAttempts(defaults.getMaxAttempts())
            .defaultTimeout(defaults.getTimeout())
            .defaultRetryPolicy(
                new RetryPolicy(
                    defaults.getRetryInitialDelay(),
                    defaults.getRetryMultiplier(),
                    defaults.getRetryMaxDelay()));
    if (properties.getNodeId() != null) {
      b.nodeId(properties.getNodeId());
    }
    if (properties.getRetention() != null) {
      b.retention(properties.getRetention());
    }
    if (properties.getScheduleGrace() != null) {
      b.scheduleGrace(properties.getScheduleGrace());
    }
    properties.getTemplates().forEach(b::template);
    handlers.orderedStream().forEach(h -> b.handler(h.type(), h.handler()));
    if (!worker.getTaskTypes().isEmpty()) {
      b.taskTypes(worker.getTaskTypes().toArray(String[]::new));
    }
    if (!worker.getRemoteTypes().isEmpty()) {
      b.remoteTypes(worker.getRemoteTypes().toArray(String[]::new));
    }
    listeners.orderedStream().forEach(b::listener);
    customizers.orderedStream().forEach(c -> c.customize(b));
    Orchestrator orchestrator = b.build();
    boolean memory = store instanceof InMemoryTaskStore;
    boolean mock = llm instanceof MockLlmClient;
    if (memory || mock) {
      log.warn(
          "orchestrator node {} runs on {}{}{}",
          orchestrator.nodeId(),
          memory ? "the in-memory store (tasks are lost on restart; add a DataSource)" : "",
          memory && mock ? " and " : "",
          mock ? "the mock LLM (no model is called; add a langchain4j ChatModel bean)" : "");
    }
    return orchestrator;
  }

  @Bean
  @ConditionalOnMissingBean(OrchestratorLifecycle.class)
  OrchestratorLifecycle orchestratorLifecycle(
      Orchestrator orchestrator, OrchestratorProperties properties) {
    return new OrchestratorLifecycle(orchestrator, properties.getWorker().isEnabled());
  }
}

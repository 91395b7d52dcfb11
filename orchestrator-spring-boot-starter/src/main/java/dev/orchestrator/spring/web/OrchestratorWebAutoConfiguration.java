package dev.orchestrator.spring.web;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.spring.OrchestratorAutoConfiguration;
import dev.orchestrator.spring.OrchestratorProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The REST API and the event stream, in a servlet web application with Spring MVC, unless {@code
 * orchestrator.web.enabled=false}; the pipeline endpoints when the application has {@link
 * Pipelines}. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(after = OrchestratorAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(Orchestrator.class)
@ConditionalOnProperty(prefix = "orchestrator.web", name = "enabled", matchIfMissing = true)
public class OrchestratorWebAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(OwnerResolver.class)
  OwnerResolver orchestratorOwnerResolver() {
    return OwnerResolver.NONE;
  }

  @Bean
  @ConditionalOnMissingBean
  TaskApiController orchestratorTaskApi(
      Orchestrator orchestrator,
      OwnerResolver owners,
      OrchestratorProperties properties,
      ObjectProvider<Pipelines> pipelines) {
    return new TaskApiController(
        orchestrator, owners, properties, pipelines.getIfAvailable() != null);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(Pipelines.class)
  PipelineApiController orchestratorPipelineApi(
      Orchestrator orchestrator,
      Pipelines pipelines,
      OwnerResolver owners,
      OrchestratorProperties properties) {
    return new PipelineApiController(orchestrator, pipelines, owners, properties);
  }

  @Bean
  @ConditionalOnMissingBean
  ScheduleApiController orchestratorScheduleApi(
      Orchestrator orchestrator, OwnerResolver owners, OrchestratorProperties properties) {
    return new ScheduleApiController(orchestrator, owners, properties);
  }

  @Bean
  @ConditionalOnMissingBean
  EventStreamController orchestratorEventStream(Orchestrator orchestrator, OwnerResolver owners) {
    return new EventStreamController(orchestrator, owners);
  }

  @Bean
  @ConditionalOnMissingBean
  ApiProblems orchestratorApiProblems() {
    return new ApiProblems();
  }

  @Bean
  @ConditionalOnMissingBean(name = "orchestratorRequestIdFilter")
  FilterRegistrationBean<RequestIdFilter> orchestratorRequestIdFilter(
      OrchestratorProperties properties) {
    FilterRegistrationBean<RequestIdFilter> registration =
        new FilterRegistrationBean<>(new RequestIdFilter());
    registration.addUrlPatterns(properties.getWeb().getBasePath() + "/*");
    registration.setName("orchestratorRequestIdFilter");
    return registration;
  }

  /** A PostgreSQL store that fails answers 503, with orchestrator-jdbc on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.orchestrator.jdbc.StoreException")
  static class JdbcProblemsConfiguration {
    @Bean
    @ConditionalOnMissingBean
    JdbcProblems orchestratorJdbcProblems() {
      return new JdbcProblems();
    }
  }
}

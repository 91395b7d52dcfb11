package dev.orchestrator.spring.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.spring.OrchestratorAutoConfiguration;
import dev.orchestrator.spring.web.OrchestratorWebAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class DashboardAutoConfigurationTest {
  private final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  OrchestratorAutoConfiguration.class,
                  OrchestratorWebAutoConfiguration.class,
                  OrchestratorDashboardAutoConfiguration.class));

  @Test
  void servedWithTheApiUnlessTurnedOff() {
    web.run(context -> assertThat(context).hasSingleBean(DashboardController.class));
    web.withPropertyValues("orchestrator.dashboard.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(DashboardController.class));
    web.withPropertyValues("orchestrator.web.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(DashboardController.class));
  }

  @Test
  void needsAServletApplicationWithSpringMvc() {
    web.withClassLoader(
            new FilteredClassLoader(org.springframework.web.servlet.DispatcherServlet.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(DashboardController.class);
            });
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                OrchestratorAutoConfiguration.class,
                OrchestratorWebAutoConfiguration.class,
                OrchestratorDashboardAutoConfiguration.class))
        .run(context -> assertThat(context).doesNotHaveBean(DashboardController.class));
  }

  @Test
  void backsOffForTheApplicationsOwn() {
    web.withUserConfiguration(Own.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(DashboardController.class);
              assertThat(context).hasBean("ownDashboard");
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class Own {
    @Bean
    DashboardController ownDashboard(dev.orchestrator.spring.OrchestratorProperties properties) {
      return new DashboardController(properties);
    }
  }
}

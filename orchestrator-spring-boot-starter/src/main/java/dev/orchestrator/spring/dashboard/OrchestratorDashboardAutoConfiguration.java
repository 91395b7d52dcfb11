package dev.orchestrator.spring.dashboard;

import dev.orchestrator.spring.OrchestratorProperties;
import dev.orchestrator.spring.web.OrchestratorWebAutoConfiguration;
import dev.orchestrator.spring.web.TaskApiController;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The live dashboard at {@code /orchestrator}, in a servlet web application with Spring MVC and the
 * orchestrator's REST API, unless {@code orchestrator.dashboard.enabled=false}.
 */
@AutoConfiguration(after = OrchestratorWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(TaskApiController.class)
@ConditionalOnProperty(prefix = "orchestrator.dashboard", name = "enabled", matchIfMissing = true)
public class OrchestratorDashboardAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean
  DashboardController orchestratorDashboard(OrchestratorProperties properties) {
    return new DashboardController(properties);
  }
}

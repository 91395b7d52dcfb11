package dev.orchestrator.spring.web;

import dev.orchestrator.jdbc.StoreException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A PostgreSQL store that cannot be reached answers 503 {@code unavailable} (with
 * orchestrator-jdbc).
 */
@RestControllerAdvice(
    assignableTypes = {
      TaskApiController.class,
      EventStreamController.class,
      ScheduleApiController.class,
      PipelineApiController.class
    })
@Order(Ordered.HIGHEST_PRECEDENCE + 50)
public class JdbcProblems {
  private static final Logger log = LoggerFactory.getLogger(JdbcProblems.class);

  @ExceptionHandler(StoreException.class)
  ResponseEntity<String> unavailable(HttpServletRequest request, StoreException e) {
    log.warn(
        "request {} {}: the store failed ({})",
        request.getMethod(),
        request.getRequestURI(),
        e.sqlState(),
        e);
    return ApiProblems.respond(
        request,
        503,
        "unavailable",
        "The task store is unavailable",
        "the store did not answer; try again",
        Map.of());
  }
}

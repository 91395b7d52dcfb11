package dev.orchestrator.spring.web;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.TaskNotFoundException;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import dev.orchestrator.schedule.InvalidScheduleException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * Every error of the API as an RFC 9457 problem ({@code application/problem+json}) with a stable
 * {@code type} per kind, {@code urn:orchestrator:problem:<kind>}: {@code invalid-task} (with the
 * validation {@code problem} code and the batch {@code index}), {@code invalid-schedule}, {@code
 * bad-request}, {@code owner-required}, {@code forbidden}, {@code not-found}, {@code
 * illegal-transition}, {@code idempotency-conflict}, {@code unavailable} and {@code internal}. Each
 * carries the request id; none carries a stack trace.
 */
@RestControllerAdvice(
    assignableTypes = {
      TaskApiController.class,
      EventStreamController.class,
      ScheduleApiController.class,
      PipelineApiController.class
    })
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
public class ApiProblems {
  private static final Logger log = LoggerFactory.getLogger(ApiProblems.class);
  static final String MEDIA_TYPE = "application/problem+json";

  /** The problem as a response. */
  static ResponseEntity<String> respond(
      HttpServletRequest request,
      int status,
      String kind,
      String title,
      String detail,
      Map<String, Object> extras) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", ApiProblem.TYPE_PREFIX + kind);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    body.put("instance", request.getRequestURI());
    body.put("requestId", RequestIdFilter.of(request));
    body.putAll(extras);
    return ResponseEntity.status(status)
        .header("Content-Type", MEDIA_TYPE)
        .body(ApiJson.write(body));
  }

  @ExceptionHandler(ApiProblem.class)
  ResponseEntity<String> problem(HttpServletRequest request, ApiProblem e) {
    String kind = e.type().substring(ApiProblem.TYPE_PREFIX.length());
    return respond(request, e.status(), kind, e.title(), e.getMessage(), e.extras());
  }

  @ExceptionHandler(InvalidTaskException.class)
  ResponseEntity<String> invalid(HttpServletRequest request, InvalidTaskException e) {
    return respond(
        request,
        400,
        "invalid-task",
        "The task is invalid",
        e.getMessage(),
        Map.of("problem", e.problem().name(), "index", e.index()));
  }

  @ExceptionHandler(InvalidScheduleException.class)
  ResponseEntity<String> invalidSchedule(HttpServletRequest request, InvalidScheduleException e) {
    return respond(
        request, 400, "invalid-schedule", "The schedule is invalid", e.getMessage(), Map.of());
  }

  @ExceptionHandler(OwnerResolver.OwnerRequiredException.class)
  ResponseEntity<String> noOwner(
      HttpServletRequest request, OwnerResolver.OwnerRequiredException e) {
    return respond(
        request, 401, "owner-required", "The request names no owner", e.getMessage(), Map.of());
  }

  @ExceptionHandler(TaskNotFoundException.class)
  ResponseEntity<String> notFound(HttpServletRequest request, TaskNotFoundException e) {
    return respond(request, 404, "not-found", "No such task", e.getMessage(), Map.of());
  }

  @ExceptionHandler(IllegalTransitionException.class)
  ResponseEntity<String> illegal(HttpServletRequest request, IllegalTransitionException e) {
    return respond(
        request,
        409,
        "illegal-transition",
        "The task's status does not allow this",
        e.getMessage(),
        Map.of());
  }

  @ExceptionHandler({
    IllegalArgumentException.class,
    MethodArgumentTypeMismatchException.class,
    MissingServletRequestParameterException.class
  })
  ResponseEntity<String> badRequest(HttpServletRequest request, Exception e) {
    String detail =
        e instanceof MethodArgumentTypeMismatchException m
            ? "'" + m.getName() + "' is not a valid " + simpleName(m.getRequiredType())
            : e.getMessage();
    return respond(request, 400, "bad-request", "The request cannot be read", detail, Map.of());
  }

  private static String simpleName(Class<?> type) {
    return type == null ? "value" : type.getSimpleName();
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  ResponseEntity<String> method(
      HttpServletRequest request, HttpRequestMethodNotSupportedException e) {
    return respond(request, 405, "bad-request", "Method not allowed", e.getMessage(), Map.of());
  }

  /** A client that left an event stream: nothing to answer, and nothing wrong. */
  @ExceptionHandler(
      org.springframework.web.context.request.async.AsyncRequestNotUsableException.class)
  void clientLeft(HttpServletRequest request, Exception e) {
    log.debug("client left {} {}", request.getMethod(), request.getRequestURI(), e);
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<String> internal(HttpServletRequest request, Exception e) {
    log.error("request {} {} failed", request.getMethod(), request.getRequestURI(), e);
    return respond(
        request,
        500,
        "internal",
        "The server failed",
        "an internal error; the request id finds it in the server's log",
        Map.of());
  }
}

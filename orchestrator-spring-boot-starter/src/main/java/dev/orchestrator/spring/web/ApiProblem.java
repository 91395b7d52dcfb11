package dev.orchestrator.spring.web;

import java.util.Map;

/**
 * A request the API refuses, answered as an RFC 9457 problem.
 *
 * @param status the HTTP status
 * @param type the stable problem type, {@code urn:orchestrator:problem:<kind>}
 * @param title a short human summary of the kind
 * @param extras extension members (e.g. the validation problem code and batch index)
 */
final class ApiProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;
  static final String TYPE_PREFIX = "urn:orchestrator:problem:";

  private final int status;
  private final String kind;
  private final String title;
  private final transient Map<String, Object> extras;

  ApiProblem(int status, String kind, String title, String detail, Map<String, Object> extras) {
    super(detail);
    this.status = status;
    this.kind = kind;
    this.title = title;
    this.extras = Map.copyOf(extras);
  }

  /** A 400 for a request that cannot be read: malformed, too large, wrong types. */
  static ApiProblem badRequest(String detail) {
    return new ApiProblem(400, "bad-request", "The request cannot be read", detail, Map.of());
  }

  /** A 403 for a request scoped to one owner that asks for what is every owner's. */
  static ApiProblem forbidden(String title, String detail) {
    return new ApiProblem(403, "forbidden", title, detail, Map.of());
  }

  int status() {
    return status;
  }

  String type() {
    return TYPE_PREFIX + kind;
  }

  String title() {
    return title;
  }

  Map<String, Object> extras() {
    return extras;
  }
}

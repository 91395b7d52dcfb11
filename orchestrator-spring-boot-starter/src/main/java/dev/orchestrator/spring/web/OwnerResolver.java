package dev.orchestrator.spring.web;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;

/**
 * Tells which owner (tenant) a request acts for. Through the API an owner sees and changes only its
 * own tasks: another owner's task answers 404, exactly like an unknown id. A resolver that returns
 * null gives the request every owner's tasks (an operator, or a service without tenants). Define a
 * bean of this type to replace the default, {@link #NONE}.
 */
@FunctionalInterface
public interface OwnerResolver {
  /** No owners: every request sees every task. */
  OwnerResolver NONE = request -> null;

  /**
   * The request's owner, or null for every owner.
   *
   * @throws OwnerRequiredException when the request must name an owner and does not
   */
  String resolve(HttpServletRequest request);

  /**
   * The orchestrator as the request's owner sees it: {@link Orchestrator#forOwner}, or {@link
   * Orchestrator#everyOwner} when {@link #resolve} gives null.
   */
  default OwnerScope scope(Orchestrator orchestrator, HttpServletRequest request) {
    String owner = resolve(request);
    return owner == null ? orchestrator.everyOwner() : orchestrator.forOwner(owner);
  }

  /**
   * The owner named by a request header (e.g. {@code X-User-Id}, set by a gateway that
   * authenticated the caller); a request without it is refused with 401.
   */
  static OwnerResolver header(String name) {
    return request -> {
      String owner = request.getHeader(name);
      if (owner == null || owner.isBlank()) {
        throw new OwnerRequiredException("the request has no " + name + " header");
      }
      return owner.strip();
    };
  }

  /**
   * The authenticated principal's name (Spring Security, or any servlet authentication); an
   * anonymous request is refused with 401.
   */
  static OwnerResolver principal() {
    return request -> {
      Principal p = request.getUserPrincipal();
      if (p == null || p.getName() == null || p.getName().isBlank()) {
        throw new OwnerRequiredException("the request is not authenticated");
      }
      return p.getName();
    };
  }

  /** The request names no owner where one is required: answered with 401. */
  final class OwnerRequiredException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OwnerRequiredException(String message) {
      super(message);
    }
  }
}

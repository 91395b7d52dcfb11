package dev.orchestrator.examples.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.TaskNotFoundException;
import dev.orchestrator.jdbc.StoreException;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.net.ConnectException;
import java.sql.SQLTransientConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The one place where an exception becomes a gRPC status.
 *
 * <table>
 *   <caption>Mapping</caption>
 *   <tr><th>thrown</th><th>status</th><th>ErrorInfo reason</th></tr>
 *   <tr><td>{@link InvalidTaskException} UNKNOWN_PARENT</td><td>NOT_FOUND</td><td>UNKNOWN_PARENT</td></tr>
 *   <tr><td>{@link InvalidTaskException} PARENT_NOT_COMPLETED</td><td>FAILED_PRECONDITION</td>
 *       <td>PARENT_NOT_COMPLETED</td></tr>
 *   <tr><td>{@link InvalidTaskException} (any other problem)</td><td>INVALID_ARGUMENT</td>
 *       <td>the problem</td></tr>
 *   <tr><td>{@link BadRequestException}, a message that does not parse</td>
 *       <td>INVALID_ARGUMENT</td><td>its reason</td></tr>
 *   <tr><td>{@link TaskNotFoundException}</td><td>NOT_FOUND</td><td>TASK_NOT_FOUND</td></tr>
 *   <tr><td>{@link IllegalTransitionException}</td><td>FAILED_PRECONDITION</td>
 *       <td>ILLEGAL_TRANSITION</td></tr>
 *   <tr><td>{@link StoreException} of a lost connection, a pool that cannot connect, a Redis
 *       connection error</td><td>UNAVAILABLE</td><td>STORE_UNAVAILABLE</td></tr>
 *   <tr><td>the call's deadline passed (or the caller cancelled)</td>
 *       <td>DEADLINE_EXCEEDED (CANCELLED)</td><td></td></tr>
 *   <tr><td>anything else</td><td>INTERNAL, logged with its stack trace, answered without
 *       it</td><td>INTERNAL</td></tr>
 * </table>
 *
 * <p>Every description ends with the request id; every ErrorInfo (domain {@value #DOMAIN}) carries
 * it in its metadata ({@code requestId}), and the batch index ({@code index}) for a problem of a
 * batch.
 */
final class GrpcErrors {
  static final String DOMAIN = "orchestrator.dev";
  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  /** The status (with its description) to answer for {@code failure}. */
  static Status status(Throwable failure, String requestId) {
    return mapping(failure, requestId).status;
  }

  /** The trailers that carry the details of {@code failure}. */
  static Metadata trailers(Throwable failure, String requestId) {
    Mapping m = mapping(failure, requestId);
    return m.trailers;
  }

  /** The exception to pass to a StreamObserver's onError. */
  static StatusRuntimeException exception(Throwable failure, String requestId) {
    Mapping m = mapping(failure, requestId);
    return m.status.asRuntimeException(m.trailers);
  }

  private record Mapping(Status status, Metadata trailers) {}

  private static Mapping mapping(Throwable failure, String requestId) {
    Throwable t = unwrap(failure);
    if (t instanceof StatusRuntimeException s) {
      return passThrough(s.getStatus(), s.getTrailers(), requestId);
    }
    if (t instanceof StatusException s) {
      return passThrough(s.getStatus(), s.getTrailers(), requestId);
    }
    if (t instanceof InvalidTaskException e) {
      Status.Code code =
          switch (e.problem()) {
            case UNKNOWN_PARENT -> Status.Code.NOT_FOUND;
            case PARENT_NOT_COMPLETED -> Status.Code.FAILED_PRECONDITION;
            default -> Status.Code.INVALID_ARGUMENT;
          };
      return detailed(code, e.getMessage(), e.problem().name(), e.index(), requestId);
    }
    if (t instanceof BadRequestException e) {
      return detailed(Status.Code.INVALID_ARGUMENT, e.getMessage(), e.reason(), -1, requestId);
    }
    if (t instanceof InvalidProtocolBufferException) {
      return detailed(
          Status.Code.INVALID_ARGUMENT,
          "the message could not be parsed (a string that is not UTF-8, a truncated field)",
          BadRequestException.MALFORMED_MESSAGE,
          -1,
          requestId);
    }
    if (t instanceof TaskNotFoundException e) {
      return detailed(Status.Code.NOT_FOUND, e.getMessage(), "TASK_NOT_FOUND", -1, requestId);
    }
    if (t instanceof IllegalTransitionException e) {
      return detailed(
          Status.Code.FAILED_PRECONDITION, e.getMessage(), "ILLEGAL_TRANSITION", -1, requestId);
    }
    if (isUnavailable(t)) {
      log.warn("store or queue unavailable (request {}): {}", requestId, t.toString());
      return detailed(
          Status.Code.UNAVAILABLE,
          "the task store or queue is unavailable; retry later",
          "STORE_UNAVAILABLE",
          -1,
          requestId);
    }
    Context context = Context.current();
    if (context.isCancelled()) {
      // the call already ended (its deadline, or the caller left): whatever the interrupted work
      // threw is no error of the server's
      Status.Code code =
          context.getDeadline() != null && context.getDeadline().isExpired()
              ? Status.Code.DEADLINE_EXCEEDED
              : Status.Code.CANCELLED;
      log.debug("call ended before its work (request {}): {}", requestId, t.toString());
      return plain(Status.fromCode(code).withDescription(describe("call ended", requestId)));
    }
    log.error("internal error (request {})", requestId, failure);
    return detailed(Status.Code.INTERNAL, "internal error", "INTERNAL", -1, requestId);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof java.util.concurrent.CompletionException
            || current instanceof java.util.concurrent.ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static boolean isUnavailable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StoreException s && s.isConnectionLoss()
          || c instanceof SQLTransientConnectionException
          || c instanceof JedisConnectionException
          || c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  private static Mapping passThrough(Status status, Metadata trailers, String requestId) {
    Status described =
        status.withDescription(
            describe(status.getDescription() == null ? "" : status.getDescription(), requestId));
    return new Mapping(described, trailers == null ? new Metadata() : trailers);
  }

  private static Mapping plain(Status status) {
    return new Mapping(status, new Metadata());
  }

  private static Mapping detailed(
      Status.Code code, String message, String reason, int index, String requestId) {
    ErrorInfo.Builder info =
        ErrorInfo.newBuilder()
            .setReason(reason)
            .setDomain(DOMAIN)
            .putMetadata("requestId", requestId);
    if (index >= 0 && code != Status.Code.INTERNAL) {
      info.putMetadata("index", Integer.toString(index));
    }
    String description = describe(message, requestId);
    com.google.rpc.Status details =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(description)
            .addDetails(Any.pack(info.build()))
            .build();
    StatusRuntimeException e = StatusProto.toStatusRuntimeException(details);
    return new Mapping(e.getStatus(), e.getTrailers());
  }

  private static String describe(String message, String requestId) {
    String suffix = "(request " + requestId + ")";
    return message.endsWith(suffix) ? message : message + " " + suffix;
  }
}

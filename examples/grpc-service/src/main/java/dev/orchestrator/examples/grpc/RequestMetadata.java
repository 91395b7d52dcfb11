package dev.orchestrator.examples.grpc;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * The metadata of every call, the conventions of the REST API in gRPC form: {@code x-request-id}
 * accepted when sane (else generated), sent back in the headers and trailers and kept in the MDC
 * under {@code requestId}; {@code x-user-id} names the owner whose tasks the call sees.
 */
final class RequestMetadata implements ServerInterceptor {
  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> USER_ID =
      Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  /** The MDC key of the request id, as in the REST API. */
  static final String MDC_REQUEST_ID = "requestId";

  /** Longest owner accepted from {@code x-user-id}. */
  static final int MAX_OWNER_LENGTH = 128;

  private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern SANE_OWNER = Pattern.compile("[\\x21-\\x7e]+");

  private static final Context.Key<String> REQUEST_ID_KEY = Context.key("orchestrator.requestId");
  private static final Context.Key<String> OWNER_KEY = Context.key("orchestrator.owner");

  /** The request id of the current call. */
  static String requestId() {
    String id = REQUEST_ID_KEY.get();
    return id == null ? "none" : id;
  }

  /** The owner of the current call, or null when the caller named none (every owner). */
  static String owner() {
    return OWNER_KEY.get();
  }

  /** The caller's id when it is sane, else a new one. */
  static String acceptRequestId(String offered) {
    return offered != null && SANE_REQUEST_ID.matcher(offered).matches()
        ? offered
        : UUID.randomUUID().toString();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String requestId = acceptRequestId(headers.get(REQUEST_ID));
    ServiceRequestContext armeria = ServiceRequestContext.currentOrNull();
    if (armeria != null) {
      // for the answers Armeria makes itself (a message that does not parse, a deadline)
      armeria.setAttr(TaskGrpcServer.REQUEST_ID_ATTR, requestId);
    }
    ServerCall<Q, R> answering =
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(REQUEST_ID, requestId);
            super.sendHeaders(responseHeaders);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            trailers.removeAll(REQUEST_ID);
            trailers.put(REQUEST_ID, requestId);
            super.close(status, trailers);
          }
        };
    String owner = headers.get(USER_ID);
    if (owner != null) {
      owner = owner.strip();
      if (owner.isEmpty()) {
        owner = null;
      } else if (owner.length() > MAX_OWNER_LENGTH || !SANE_OWNER.matcher(owner).matches()) {
        answering.close(
            GrpcErrors.status(
                new BadRequestException(
                    BadRequestException.BAD_FIELD,
                    "x-user-id must be 1 to "
                        + MAX_OWNER_LENGTH
                        + " printable ASCII characters without spaces"),
                requestId),
            GrpcErrors.trailers(
                new BadRequestException(BadRequestException.BAD_FIELD, "x-user-id"), requestId));
        return new ServerCall.Listener<>() {};
      }
    }
    Context context =
        Context.current().withValue(REQUEST_ID_KEY, requestId).withValue(OWNER_KEY, owner);
    ServerCall.Listener<Q> listener = Contexts.interceptCall(context, answering, headers, next);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onComplete();
        }
      }

      @Override
      public void onReady() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onReady();
        }
      }
    };
  }
}

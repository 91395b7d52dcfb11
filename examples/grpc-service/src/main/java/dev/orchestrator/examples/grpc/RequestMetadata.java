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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
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

  static final Metadata.Key<String> TIMEOUT =
      Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);

  private static final Pattern TIMEOUT_TEXT = Pattern.compile("([0-9]{1,8})([HMSmun])");

  private final ScheduledExecutorService deadlines;

  /**
   * @param deadlines the timer that ends calls at their deadline
   */
  RequestMetadata(ScheduledExecutorService deadlines) {
    this.deadlines = deadlines;
  }

  /** The nanoseconds of a {@code grpc-timeout} value, or -1 when it is malformed. */
  static long timeoutNanos(String text) {
    Matcher m = TIMEOUT_TEXT.matcher(text.strip());
    if (!m.matches()) {
      return -1;
    }
    long n = Long.parseLong(m.group(1));
    TimeUnit unit =
        switch (m.group(2)) {
          case "H" -> TimeUnit.HOURS;
          case "M" -> TimeUnit.MINUTES;
          case "S" -> TimeUnit.SECONDS;
          case "m" -> TimeUnit.MILLISECONDS;
          case "u" -> TimeUnit.MICROSECONDS;
          default -> TimeUnit.NANOSECONDS;
        };
    return unit.toNanos(n);
  }

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
    OnceClosedCall<Q, R> answering = new OnceClosedCall<>(call, requestId);
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
    String timeout = headers.get(TIMEOUT);
    if (timeout == null && armeria != null) {
      timeout = armeria.request().headers().get("grpc-timeout");
    }
    long timeoutNanos = timeout == null ? Long.MAX_VALUE : timeoutNanos(timeout);
    if (timeoutNanos < 0) {
      BadRequestException bad =
          new BadRequestException(BadRequestException.BAD_FIELD, "grpc-timeout is malformed");
      answering.close(GrpcErrors.status(bad, requestId), GrpcErrors.trailers(bad, requestId));
      return new ServerCall.Listener<>() {};
    }
    Context.CancellableContext context =
        timeoutNanos == Long.MAX_VALUE
            ? Context.current()
                .withValue(REQUEST_ID_KEY, requestId)
                .withValue(OWNER_KEY, owner)
                .withCancellation()
            : Context.current()
                .withValue(REQUEST_ID_KEY, requestId)
                .withValue(OWNER_KEY, owner)
                .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS, deadlines);
    if (timeoutNanos != Long.MAX_VALUE) {
      long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
      context.addListener(
          c -> {
            if (c.getDeadline() != null && c.getDeadline().isExpired()) {
              // what grpc-java's own server does: the call ends DEADLINE_EXCEEDED, and the
              // cancelled context stops the work (interrupts a unary call, ends a watch)
              answering.close(
                  Status.DEADLINE_EXCEEDED.withDescription(
                      "deadline of " + millis + " ms exceeded (request " + requestId + ")"),
                  new Metadata());
            }
          },
          Runnable::run);
    }
    ServerCall.Listener<Q> listener;
    try {
      listener = Contexts.interceptCall(context, answering, headers, next);
    } catch (RuntimeException e) {
      context.cancel(e);
      throw e;
    }
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
        } finally {
          context.cancel(null);
        }
      }

      @Override
      public void onComplete() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST_ID, requestId)) {
          super.onComplete();
        } finally {
          context.cancel(null);
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

  /**
   * The call as the service sees it: the request id goes out in its headers and trailers, and it
   * closes once (the deadline's close and the service's own may race; the later one is dropped, and
   * so is a message sent after it).
   */
  private static final class OnceClosedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final String requestId;
    private final AtomicBoolean closed = new AtomicBoolean();

    OnceClosedCall(ServerCall<Q, R> call, String requestId) {
      super(call);
      this.requestId = requestId;
    }

    @Override
    public synchronized void sendHeaders(Metadata responseHeaders) {
      if (!closed.get()) {
        responseHeaders.put(REQUEST_ID, requestId);
        super.sendHeaders(responseHeaders);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!closed.get()) {
        super.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (closed.compareAndSet(false, true)) {
        trailers.removeAll(REQUEST_ID);
        trailers.put(REQUEST_ID, requestId);
        super.close(status, trailers);
      }
    }

    @Override
    public boolean isCancelled() {
      return closed.get() || super.isCancelled();
    }
  }
}

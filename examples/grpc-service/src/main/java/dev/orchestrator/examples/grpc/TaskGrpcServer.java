package dev.orchestrator.examples.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import dev.orchestrator.Orchestrator;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * orchestrator.v1.TaskService on one port: gRPC over HTTP/2 (cleartext, prior knowledge or upgrade)
 * and gRPC-web ({@code application/grpc-web+proto}, {@code application/grpc-web-text}) over
 * HTTP/1.1 or HTTP/2, all served by Armeria without a proxy.
 *
 * <pre>{@code
 * try (TaskGrpcServer server = TaskGrpcServer.builder(orchestrator).port(9090).start()) {
 *   server.port(); // the port bound
 * }
 * }</pre>
 */
public final class TaskGrpcServer implements AutoCloseable {
  /** Default port: the GRPC_PORT of the example. */
  public static final int DEFAULT_PORT = 9090;

  /** Default largest request message: 4 MiB, gRPC's usual limit. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

  static final AttributeKey<String> REQUEST_ID_ATTR =
      AttributeKey.valueOf(TaskGrpcServer.class, "requestId");

  private final Server server;
  private final TaskWatches watches;
  private final ScheduledExecutorService deadlines;

  private TaskGrpcServer(Server server, TaskWatches watches, ScheduledExecutorService deadlines) {
    this.server = server;
    this.watches = watches;
    this.deadlines = deadlines;
  }

  public static Builder builder(Orchestrator orchestrator) {
    return new Builder(orchestrator);
  }

  /** The port bound (the one chosen by the system when built with port 0). */
  public int port() {
    return server.activeLocalPort();
  }

  /** WatchTasks streams running now. */
  public int activeWatches() {
    return watches.active();
  }

  /** Stops taking calls, ends the running ones; the orchestrator stays the caller's to close. */
  @Override
  public void close() {
    watches.close();
    server.close();
    deadlines.shutdownNow();
  }

  /**
   * Status of failures that happen outside the service's methods (a message that does not parse, an
   * expired deadline): a message that does not parse is the caller's fault, and every answer
   * carries the request id.
   */
  private static Status outsideTheService(
      RequestContext ctx, Status status, Throwable cause, Metadata trailers) {
    String requestId = ctx.attr(REQUEST_ID_ATTR);
    if (requestId == null) {
      requestId =
          RequestMetadata.acceptRequestId(
              ctx.request() == null ? null : ctx.request().headers().get("x-request-id"));
    }
    trailers.removeAll(RequestMetadata.REQUEST_ID);
    trailers.put(RequestMetadata.REQUEST_ID, requestId);
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof InvalidProtocolBufferException) {
        trailers.merge(GrpcErrors.trailers(c, requestId));
        return GrpcErrors.status(c, requestId);
      }
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED
        || status.getCode() == Status.Code.DEADLINE_EXCEEDED
        || status.getCode() == Status.Code.CANCELLED) {
      String d = status.getDescription();
      return status.withDescription((d == null ? "" : d + " ") + "(request " + requestId + ")");
    }
    return null; // Armeria's own mapping
  }

  public static final class Builder {
    private final Orchestrator orchestrator;
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private Duration shutdownGrace = Duration.ofSeconds(2);

    private Builder(Orchestrator orchestrator) {
      this.orchestrator = Objects.requireNonNull(orchestrator, "orchestrator");
    }

    /** Address to bind; default 127.0.0.1 (0.0.0.0 for every interface). */
    public Builder host(String value) {
      host = Objects.requireNonNull(value, "host");
      return this;
    }

    /** Port to bind; 0 for any free one. Default {@value TaskGrpcServer#DEFAULT_PORT}. */
    public Builder port(int value) {
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535: " + value);
      }
      port = value;
      return this;
    }

    /** Largest request message accepted; larger ones answer RESOURCE_EXHAUSTED. */
    public Builder maxMessageBytes(int value) {
      if (value < 1024) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1024: " + value);
      }
      maxMessageBytes = value;
      return this;
    }

    /** Time running calls get to finish when the server closes. */
    public Builder shutdownGrace(Duration value) {
      shutdownGrace = Objects.requireNonNull(value, "shutdownGrace");
      return this;
    }

    public TaskGrpcServer start() {
      TaskWatches watches = new TaskWatches(orchestrator);
      ScheduledExecutorService deadlines =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "grpc-deadlines");
                t.setDaemon(true);
                return t;
              });
      GrpcService grpc =
          GrpcService.builder()
              .addService(new TaskGrpcService(orchestrator, watches))
              // server reflection: grpcurl and other tools list and call the API without the file
              .addService(ProtoReflectionServiceV1.newInstance())
              .intercept(new RequestMetadata(deadlines))
              // the store is blocking I/O: never on an event loop
              .useBlockingTaskExecutor(true)
              // grpc-timeout is enforced by RequestMetadata, as grpc-java's server does it: the
              // call ends DEADLINE_EXCEEDED and its context is cancelled (Armeria would answer
              // CANCELLED and leave the context's deadline unset)
              .useClientTimeoutHeader(false)
              .maxRequestMessageLength(maxMessageBytes)
              .exceptionHandler(TaskGrpcServer::outsideTheService)
              .build();
      Server server =
          Server.builder()
              .http(new InetSocketAddress(host, port))
              .service(grpc)
              // no deadline but the caller's: a WatchTasks stream runs until it is cancelled
              .requestTimeout(Duration.ZERO)
              // the message limit above is what bounds a request
              .maxRequestLength(0)
              .gracefulShutdownTimeout(shutdownGrace, shutdownGrace)
              .build();
      try {
        server.start().join();
      } catch (RuntimeException e) {
        watches.close();
        deadlines.shutdownNow();
        throw e;
      }
      return new TaskGrpcServer(server, watches, deadlines);
    }
  }
}

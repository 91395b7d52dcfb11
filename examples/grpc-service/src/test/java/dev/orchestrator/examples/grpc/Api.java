package dev.orchestrator.examples.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One way to call the service: the generated method descriptors over grpc-java's HTTP/2 channel, or
 * over the gRPC-web client written here (HTTP/1.1). Tests run the same steps through both.
 */
abstract class Api {
  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailers of the last unary call. */
  volatile Metadata lastTrailers;

  abstract String name();

  abstract <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Map<String, String> headers);

  /** A WatchTasks stream; closing it cancels the call. */
  abstract Watch watch(WatchTasksRequest request, Map<String, String> headers, Duration deadline);

  interface Watch extends Iterator<WatchTasksResponse>, AutoCloseable {
    @Override
    void close();
  }

  @Override
  public String toString() {
    return name();
  }

  /** The ErrorInfo of a failed call. */
  static ErrorInfo errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    if (s == null) {
      throw new AssertionError("no status details in " + e);
    }
    try {
      for (com.google.protobuf.Any any : s.getDetailsList()) {
        if (any.is(ErrorInfo.class)) {
          return any.unpack(ErrorInfo.class);
        }
      }
    } catch (InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
    throw new AssertionError("no ErrorInfo in " + s);
  }

  static final class Http2 extends Api {
    private final ManagedChannel channel;

    Http2(ManagedChannel channel) {
      this.channel = channel;
    }

    @Override
    String name() {
      return "grpc-java over HTTP/2";
    }

    private Channel channel(Map<String, String> headers, AtomicReference<Metadata> trailers) {
      Metadata md = new Metadata();
      headers.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
      return ClientInterceptors.intercept(
          channel,
          MetadataUtils.newAttachHeadersInterceptor(md),
          MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
    }

    @Override
    <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Map<String, String> headers) {
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      try {
        return ClientCalls.blockingUnaryCall(
            channel(headers, trailers),
            method,
            CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
            request);
      } finally {
        lastTrailers = trailers.get();
      }
    }

    @Override
    Watch watch(WatchTasksRequest request, Map<String, String> headers, Duration deadline) {
      Context.CancellableContext context = Context.current().withCancellation();
      Context previous = context.attach();
      Iterator<WatchTasksResponse> it;
      try {
        it =
            ClientCalls.blockingServerStreamingCall(
                channel(headers, new AtomicReference<>()),
                TaskServiceGrpc.getWatchTasksMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS),
                request);
      } finally {
        context.detach(previous);
      }
      return new Watch() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public WatchTasksResponse next() {
          return it.next();
        }

        @Override
        public void close() {
          context.cancel(null);
        }
      };
    }
  }

  static final class Web extends Api {
    private final GrpcWebClient client;

    Web(int port) {
      client = new GrpcWebClient(port);
    }

    @Override
    String name() {
      return "gRPC-web over HTTP/1.1";
    }

    GrpcWebClient client() {
      return client;
    }

    @Override
    <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Map<String, String> headers) {
      GrpcWebClient.Answer a;
      try {
        a =
            client.call(
                method.getFullMethodName(),
                GrpcWebClient.frame(GrpcWebClient.toBytes(request)),
                headers,
                "20S");
      } catch (StatusRuntimeException e) {
        lastTrailers = e.getTrailers();
        throw e;
      }
      lastTrailers = a.trailers();
      if (a.messages().size() != 1) {
        throw new AssertionError("a unary answer has one message: " + a.messages().size());
      }
      return method.parseResponse(new java.io.ByteArrayInputStream(a.messages().get(0)));
    }

    @Override
    Watch watch(WatchTasksRequest request, Map<String, String> headers, Duration deadline) {
      GrpcWebClient.Stream<WatchTasksResponse> s =
          client.stream(
              TaskServiceGrpc.getWatchTasksMethod(), request, headers, deadline.toMillis() + "m");
      return new Watch() {
        @Override
        public boolean hasNext() {
          return s.hasNext();
        }

        @Override
        public WatchTasksResponse next() {
          return s.next();
        }

        @Override
        public void close() {
          try {
            s.close();
          } catch (java.io.IOException e) {
            // closing anyway
          }
        }
      };
    }
  }
}

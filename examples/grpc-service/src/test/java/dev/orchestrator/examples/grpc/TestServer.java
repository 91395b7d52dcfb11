package dev.orchestrator.examples.grpc;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.DelegatingTaskStore;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * A real orchestrator (in-memory store and queue, mock LLM) behind a real {@link TaskGrpcServer} on
 * a free port of 127.0.0.1, with the store wrapped so tests can cut it or hold a read.
 */
final class TestServer implements AutoCloseable {
  /** Prompts containing it fail at once, fatally. */
  static final String FAILS = "always-fails";

  /** The handler type of a task that runs until it is cancelled (or 60 s). */
  static final String SLOW = "slow";

  final FaultyStore store;
  final Orchestrator orchestrator;
  final TaskGrpcServer server;
  final ManagedChannel channel;

  TestServer() {
    this(new InMemoryTaskStore());
  }

  TestServer(TaskStore backing) {
    this(backing, null);
  }

  /**
   * @param queue the work source, or null for the in-memory queue
   */
  TestServer(TaskStore backing, dev.orchestrator.spi.TaskQueue queue) {
    store = new FaultyStore(backing);
    Orchestrator.Builder builder = Orchestrator.builder();
    if (queue != null) {
      builder.queue(queue);
    }
    orchestrator =
        builder
            .store(store)
            .llm(
                MockLlmClient.builder()
                    .latency(Duration.ofMillis(20))
                    .failAlways(FAILS, ErrorKind.FATAL)
                    .build())
            .handler(
                SLOW,
                ctx -> {
                  Thread.sleep(60_000);
                  return HandlerResult.of("woke up");
                })
            .template(ExampleOrchestrator.SUMMARY_TEMPLATE, "Summarise in one sentence: {{text}}")
            .workers(4)
            .build()
            .start();
    server = TaskGrpcServer.builder(orchestrator).port(0).maxMessageBytes(1024 * 1024).start();
    // grpc-java's own HTTP/2 transport (Netty), not the server's (Armeria)
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  /** The two clients every test runs through: grpc-java over HTTP/2, gRPC-web over HTTP/1.1. */
  java.util.stream.Stream<Api> clients() {
    return java.util.stream.Stream.of(new Api.Http2(channel), new Api.Web(port()));
  }

  int port() {
    return server.port();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    orchestrator.close();
  }

  /** A store that fails every call while a fault is set, and can hold the reads of one call. */
  static final class FaultyStore extends DelegatingTaskStore {
    final AtomicReference<Supplier<RuntimeException>> fault = new AtomicReference<>();
    final AtomicReference<CountDownLatch> holdReads = new AtomicReference<>();
    final List<String> readRequestIds = new CopyOnWriteArrayList<>();
    final List<Boolean> interruptedReads = new CopyOnWriteArrayList<>();

    FaultyStore(TaskStore delegate) {
      super(delegate);
    }

    @Override
    protected <T> T call(Supplier<T> op) {
      Supplier<RuntimeException> f = fault.get();
      if (f != null) {
        throw f.get();
      }
      return op.get();
    }

    /** The request id of the call whose reads are held (while holdReads is set). */
    static final String HELD_CALL = "held-call";

    @Override
    public java.util.Optional<dev.orchestrator.Task> get(java.util.UUID id) {
      String requestId = MDC.get(RequestMetadata.MDC_REQUEST_ID);
      if (requestId != null) {
        readRequestIds.add(requestId);
      }
      CountDownLatch hold = holdReads.get();
      if (hold != null && HELD_CALL.equals(requestId)) {
        try {
          hold.await(30, TimeUnit.SECONDS);
          interruptedReads.add(false);
        } catch (InterruptedException e) {
          interruptedReads.add(true);
          Thread.currentThread().interrupt();
          throw new IllegalStateException("read interrupted", e);
        }
      }
      return super.get(id);
    }
  }
}

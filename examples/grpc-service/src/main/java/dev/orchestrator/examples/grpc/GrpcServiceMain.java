package dev.orchestrator.examples.grpc;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs orchestrator.v1.TaskService on {@code GRPC_PORT} (default {@value
 * TaskGrpcServer#DEFAULT_PORT}) of {@code GRPC_HOST} (default 127.0.0.1): gRPC and gRPC-web on the
 * same port. See {@link ExampleOrchestrator} for the other environment variables.
 */
public final class GrpcServiceMain {
  private static final Logger log = LoggerFactory.getLogger(GrpcServiceMain.class);

  private GrpcServiceMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> env = System.getenv();
    int port =
        env.containsKey("GRPC_PORT")
            ? Integer.parseInt(env.get("GRPC_PORT").strip())
            : TaskGrpcServer.DEFAULT_PORT;
    String host = env.getOrDefault("GRPC_HOST", "127.0.0.1");
    ExampleOrchestrator.Built built = ExampleOrchestrator.fromEnvironment(env);
    TaskGrpcServer server =
        TaskGrpcServer.builder(built.orchestrator()).host(host).port(port).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  built.close();
                  stopped.countDown();
                },
                "grpc-service-shutdown"));
    log.info(
        "orchestrator.v1.TaskService on {}:{} (gRPC over HTTP/2, gRPC-web over HTTP/1.1); {}",
        host,
        server.port(),
        built.description());
    stopped.await();
  }
}

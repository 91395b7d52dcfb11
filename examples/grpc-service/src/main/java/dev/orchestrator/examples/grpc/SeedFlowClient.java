package dev.orchestrator.examples.grpc;

import com.linecorp.armeria.client.grpc.GrpcClients;
import dev.orchestrator.grpc.v1.BatchCreateTasksRequest;
import dev.orchestrator.grpc.v1.CancelTaskRequest;
import dev.orchestrator.grpc.v1.ChainTaskRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.GetTaskLineageRequest;
import dev.orchestrator.grpc.v1.GetTaskRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.RetryTaskRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskLineage;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskServiceGrpc.TaskServiceBlockingStub;
import dev.orchestrator.grpc.v1.TaskSpec;
import dev.orchestrator.grpc.v1.TaskStatus;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The seed flow against a running service, with Armeria's gRPC client: gRPC over HTTP/2, or
 * gRPC-web over HTTP/1.1 with the argument {@code web}. Port from {@code GRPC_PORT} (default 9090).
 */
public final class SeedFlowClient {
  private SeedFlowClient() {}

  public static void main(String[] args) {
    boolean web = args.length > 0 && args[0].equals("web");
    String port = System.getenv().getOrDefault("GRPC_PORT", "9090");
    String scheme = web ? "gproto-web+h1c" : "gproto+h2c";
    TaskServiceBlockingStub api =
        GrpcClients.builder(scheme + "://127.0.0.1:" + port)
            .addHeader("x-user-id", "demo")
            .addHeader("x-request-id", "demo-" + UUID.randomUUID().toString().substring(0, 8))
            .responseTimeout(Duration.ofSeconds(30))
            .build(TaskServiceBlockingStub.class);
    System.out.println("calling " + scheme + "://127.0.0.1:" + port + " as owner demo");

    Task task =
        api.createTask(
            CreateTaskRequest.newBuilder()
                .setSpec(
                    TaskSpec.newBuilder()
                        .setName("haiku")
                        .setPrompt("Write a haiku about durable queues"))
                .build());
    System.out.println("CreateTask     -> " + task.getId() + " " + task.getStatus());
    Iterator<WatchTasksResponse> events =
        api.withDeadlineAfter(30, TimeUnit.SECONDS)
            .watchTasks(WatchTasksRequest.newBuilder().setTaskId(task.getId()).build());
    while (events.hasNext()) {
      WatchTasksResponse e = events.next();
      System.out.println(
          "WatchTasks     -> #"
              + e.getSequence()
              + " "
              + (e.getEvent().hasFrom() ? e.getEvent().getFrom() : "(new)")
              + " -> "
              + e.getEvent().getTo());
      if (e.getEvent().getTo() == TaskStatus.TASK_STATUS_COMPLETED) {
        break;
      }
    }
    Task done = api.getTask(GetTaskRequest.newBuilder().setId(task.getId()).build());
    System.out.println("GetTask        -> " + done.getStatus() + ": " + done.getOutput());
    System.out.println(
        "ListTasks      -> "
            + api.listTasks(ListTasksRequest.newBuilder().setPageSize(10).build()).getTasksCount()
            + " task(s) of owner demo");

    Task child =
        api.chainTask(
            ChainTaskRequest.newBuilder()
                .setParentId(task.getId())
                .setSpec(TaskSpec.newBuilder().setPrompt("Translate to French: {{parent.output}}"))
                .build());
    System.out.println("ChainTask      -> " + child.getId() + " (root " + child.getRootId() + ")");

    Task slow =
        api.createTask(
            CreateTaskRequest.newBuilder()
                .setSpec(
                    TaskSpec.newBuilder()
                        .setPrompt("a slow one")
                        .setDelay(com.google.protobuf.Duration.newBuilder().setSeconds(600)))
                .build());
    Task cancelled = api.cancelTask(CancelTaskRequest.newBuilder().setId(slow.getId()).build());
    System.out.println("CancelTask     -> " + slow.getId() + " " + cancelled.getStatus());
    Task retried =
        api.retryTask(RetryTaskRequest.newBuilder().setId(slow.getId()).setMaxAttempts(2).build());
    System.out.println("RetryTask      -> " + slow.getId() + " " + retried.getStatus());
    try {
      api.retryTask(RetryTaskRequest.newBuilder().setId(task.getId()).build());
    } catch (StatusRuntimeException e) {
      System.out.println(
          "RetryTask      -> (COMPLETED task) "
              + e.getStatus().getCode()
              + ": "
              + e.getStatus().getDescription());
    }

    BatchCreateTasksRequest.Builder batch = BatchCreateTasksRequest.newBuilder();
    for (int i = 0; i < 50; i++) {
      batch.addSpecs(TaskSpec.newBuilder().setPrompt(i == 37 ? "" : "item " + i));
    }
    try {
      api.batchCreateTasks(batch.build());
    } catch (StatusRuntimeException e) {
      System.out.println(
          "BatchCreate 50 -> " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
    }

    Iterator<WatchTasksResponse> chain =
        api.withDeadlineAfter(30, TimeUnit.SECONDS)
            .watchTasks(WatchTasksRequest.newBuilder().setRootId(task.getId()).build());
    while (chain.hasNext()) {
      WatchTasksResponse e = chain.next();
      if (e.getEvent().getTaskId().equals(child.getId())
          && e.getEvent().getTo() == TaskStatus.TASK_STATUS_COMPLETED) {
        System.out.println("WatchTasks     -> (root) the chained task COMPLETED");
        break;
      }
    }
    TaskLineage lineage =
        api.getTaskLineage(GetTaskLineageRequest.newBuilder().setId(child.getId()).build());
    lineage
        .getTasksList()
        .forEach(t -> System.out.println("GetTaskLineage -> " + t.getId() + " " + t.getStatus()));
    lineage
        .getEdgesList()
        .forEach(
            e ->
                System.out.println(
                    "GetTaskLineage -> edge " + e.getParentId() + " -> " + e.getChildId()));
    System.out.println("service: " + TaskServiceGrpc.SERVICE_NAME);
  }
}

package dev.orchestrator.examples.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.orchestrator.grpc.v1.AttemptOutcome;
import dev.orchestrator.grpc.v1.BatchCreateTasksRequest;
import dev.orchestrator.grpc.v1.BatchCreateTasksResponse;
import dev.orchestrator.grpc.v1.CancelTaskRequest;
import dev.orchestrator.grpc.v1.ChainTaskRequest;
import dev.orchestrator.grpc.v1.CreateTaskFromTemplateRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.GetTaskLineageRequest;
import dev.orchestrator.grpc.v1.GetTaskRequest;
import dev.orchestrator.grpc.v1.ListAttemptsRequest;
import dev.orchestrator.grpc.v1.ListAttemptsResponse;
import dev.orchestrator.grpc.v1.ListEventsRequest;
import dev.orchestrator.grpc.v1.ListTaskTemplatesRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.ListTasksResponse;
import dev.orchestrator.grpc.v1.RetryTaskRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskEvent;
import dev.orchestrator.grpc.v1.TaskLineage;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskSpec;
import dev.orchestrator.grpc.v1.TaskStatus;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import dev.orchestrator.testing.Waits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seed flow end to end, once through grpc-java's HTTP/2 client and once through the gRPC-web
 * client over HTTP/1.1: create, list, watch it go to COMPLETED, chain (watching the chain resumed
 * from the last sequence seen), a template, cancel a slow one, retry a failed one, a batch of 50
 * with one bad item (nothing created), lineage.
 */
class GrpcSeedFlowTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.close();
  }

  static Stream<Api> clients() {
    return server.clients();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void seedFlow(Api api) {
    String owner = "seed-" + (api instanceof Api.Web ? "web" : "h2");
    Map<String, String> headers = Map.of("x-user-id", owner, "x-request-id", "seed-" + owner);
    String tag = "[seed " + api.name() + "] ";

    // templates
    var templates =
        api.call(
            TaskServiceGrpc.getListTaskTemplatesMethod(),
            ListTaskTemplatesRequest.getDefaultInstance(),
            headers);
    assertTrue(
        templates.getTemplatesList().stream()
            .anyMatch(t -> t.getName().equals(ExampleOrchestrator.SUMMARY_TEMPLATE)));
    assertEquals("seed-" + owner, api.lastTrailers.get(Api.REQUEST_ID));

    // create
    Task created =
        api.call(
            TaskServiceGrpc.getCreateTaskMethod(),
            CreateTaskRequest.newBuilder()
                .setSpec(
                    TaskSpec.newBuilder()
                        .setName("haiku")
                        .setPrompt("Write a haiku about durable queues")
                        .putLabels("flow", "seed"))
                .build(),
            headers);
    assertEquals(owner, created.getOwner());
    System.out.println(tag + "created " + created.getId() + " " + created.getStatus());

    // watch it go to COMPLETED
    List<TaskEvent> seen = new ArrayList<>();
    String lastSequence = null;
    try (Api.Watch watch =
        api.watch(
            WatchTasksRequest.newBuilder().setTaskId(created.getId()).build(), headers, WAIT)) {
      while (watch.hasNext()) {
        WatchTasksResponse r = watch.next();
        seen.add(r.getEvent());
        lastSequence = r.getSequence();
        System.out.println(
            tag
                + "event #"
                + r.getSequence()
                + " "
                + (r.getEvent().hasFrom() ? r.getEvent().getFrom() : "(new)")
                + " -> "
                + r.getEvent().getTo());
        if (r.getEvent().getTo() == TaskStatus.TASK_STATUS_COMPLETED) {
          break;
        }
      }
    }
    assertEquals(TaskStatus.TASK_STATUS_COMPLETED, seen.get(seen.size() - 1).getTo());
    assertFalse(seen.get(0).hasFrom(), "the first event is the creation");
    Task done =
        api.call(
            TaskServiceGrpc.getGetTaskMethod(),
            GetTaskRequest.newBuilder().setId(created.getId()).build(),
            headers);
    assertEquals(TaskStatus.TASK_STATUS_COMPLETED, done.getStatus());
    assertTrue(done.getOutput().startsWith("mock["), done.getOutput());
    System.out.println(tag + "output: " + done.getOutput());

    // list
    ListTasksResponse listed =
        api.call(
            TaskServiceGrpc.getListTasksMethod(),
            ListTasksRequest.newBuilder()
                .addStatuses(TaskStatus.TASK_STATUS_COMPLETED)
                .setLabelKey("flow")
                .setLabelValue("seed")
                .build(),
            headers);
    assertEquals(
        List.of(created.getId()), listed.getTasksList().stream().map(Task::getId).toList());

    // chain, watching the chain from where the task's watch stopped
    Task child =
        api.call(
            TaskServiceGrpc.getChainTaskMethod(),
            ChainTaskRequest.newBuilder()
                .setParentId(created.getId())
                .setSpec(
                    TaskSpec.newBuilder()
                        .setName("french")
                        .setPrompt("Translate to French: {{parent.output}}"))
                .build(),
            headers);
    assertEquals(created.getId(), child.getRootId());
    List<TaskEvent> chainEvents = new ArrayList<>();
    try (Api.Watch watch =
        api.watch(
            WatchTasksRequest.newBuilder()
                .setRootId(created.getId())
                .setAfterSequence(lastSequence)
                .build(),
            headers,
            WAIT)) {
      while (watch.hasNext()) {
        TaskEvent e = watch.next().getEvent();
        chainEvents.add(e);
        if (e.getTaskId().equals(child.getId()) && e.getTo() == TaskStatus.TASK_STATUS_COMPLETED) {
          break;
        }
      }
    }
    assertTrue(
        chainEvents.stream().allMatch(e -> e.getTaskId().equals(child.getId())),
        "resumed after the parent's last event: only the child's are new " + chainEvents);
    assertFalse(chainEvents.get(0).hasFrom(), "the resumed stream starts at the child's creation");
    Task childDone =
        api.call(
            TaskServiceGrpc.getGetTaskMethod(),
            GetTaskRequest.newBuilder().setId(child.getId()).build(),
            headers);
    assertTrue(childDone.getPrompt().contains(done.getOutput()), childDone.getPrompt());
    System.out.println(tag + "chained " + child.getId() + " -> " + childDone.getStatus());

    // paging: two completed tasks, one a page
    ListTasksResponse first =
        api.call(
            TaskServiceGrpc.getListTasksMethod(),
            ListTasksRequest.newBuilder().setPageSize(1).build(),
            headers);
    assertTrue(first.hasNextPageToken());
    ListTasksResponse second =
        api.call(
            TaskServiceGrpc.getListTasksMethod(),
            ListTasksRequest.newBuilder()
                .setPageSize(1)
                .setPageToken(first.getNextPageToken())
                .build(),
            headers);
    assertEquals(
        Set.of(created.getId(), child.getId()),
        Set.of(first.getTasks(0).getId(), second.getTasks(0).getId()));

    // a template
    Task fromTemplate =
        api.call(
            TaskServiceGrpc.getCreateTaskFromTemplateMethod(),
            CreateTaskFromTemplateRequest.newBuilder()
                .setTemplate(ExampleOrchestrator.SUMMARY_TEMPLATE)
                .putVariables("text", "queues that survive restarts")
                .setSpec(TaskSpec.newBuilder().setName("summary"))
                .build(),
            headers);
    assertEquals(
        "Summarise in one sentence: queues that survive restarts", fromTemplate.getPrompt());

    // cancel a slow one
    Task slow =
        api.call(
            TaskServiceGrpc.getCreateTaskMethod(),
            CreateTaskRequest.newBuilder()
                .setSpec(TaskSpec.newBuilder().setName("slow").setType(TestServer.SLOW))
                .build(),
            headers);
    Waits.until(
        "the slow task runs",
        WAIT,
        () -> status(api, slow.getId(), headers) == TaskStatus.TASK_STATUS_RUNNING);
    Task cancelled =
        api.call(
            TaskServiceGrpc.getCancelTaskMethod(),
            CancelTaskRequest.newBuilder().setId(slow.getId()).setReason("too slow").build(),
            headers);
    assertEquals(TaskStatus.TASK_STATUS_CANCELLED, cancelled.getStatus());
    Waits.until(
        "the cancelled attempt is recorded",
        WAIT,
        () ->
            attempts(api, slow.getId(), headers).getAttemptsList().stream()
                .anyMatch(a -> a.getOutcome() == AttemptOutcome.ATTEMPT_OUTCOME_CANCELLED));
    System.out.println(tag + "cancelled the slow task " + slow.getId());

    // retry a failed one
    Task failing =
        api.call(
            TaskServiceGrpc.getCreateTaskMethod(),
            CreateTaskRequest.newBuilder()
                .setSpec(
                    TaskSpec.newBuilder()
                        .setName("doomed")
                        .setPrompt("this " + TestServer.FAILS)
                        .setMaxAttempts(1))
                .build(),
            headers);
    Waits.until(
        "the task fails",
        WAIT,
        () -> status(api, failing.getId(), headers) == TaskStatus.TASK_STATUS_FAILED);
    Task retried =
        api.call(
            TaskServiceGrpc.getRetryTaskMethod(),
            RetryTaskRequest.newBuilder().setId(failing.getId()).setMaxAttempts(1).build(),
            headers);
    assertEquals(TaskStatus.TASK_STATUS_QUEUED, retried.getStatus());
    Waits.until(
        "the retried task ran a second attempt",
        WAIT,
        () -> attempts(api, failing.getId(), headers).getAttemptsCount() == 2);
    var events =
        api.call(
            TaskServiceGrpc.getListEventsMethod(),
            ListEventsRequest.newBuilder().setId(failing.getId()).build(),
            headers);
    assertTrue(
        events.getEventsList().stream()
            .anyMatch(
                e ->
                    e.getFrom() == TaskStatus.TASK_STATUS_FAILED
                        && e.getTo() == TaskStatus.TASK_STATUS_QUEUED));
    System.out.println(tag + "retried the failed task " + failing.getId());

    // a batch of 50 with one bad item: nothing created
    String batchLabel = "batch-" + owner;
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      TaskSpec.Builder s =
          TaskSpec.newBuilder().setName("item " + i).putLabels("batch", batchLabel);
      s.setPrompt(i == 37 ? "   " : "Item " + i);
      specs.add(s.build());
    }
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getBatchCreateTasksMethod(),
                    BatchCreateTasksRequest.newBuilder().addAllSpecs(specs).build(),
                    headers));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    ErrorInfo info = Api.errorInfo(refused);
    assertEquals("EMPTY_PROMPT", info.getReason());
    assertEquals("37", info.getMetadataOrThrow("index"));
    assertEquals(
        0,
        api.call(
                TaskServiceGrpc.getListTasksMethod(),
                ListTasksRequest.newBuilder().setLabelKey("batch").build(),
                headers)
            .getTasksCount(),
        "nothing of the refused batch was created");
    System.out.println(tag + "batch of 50 refused: " + refused.getStatus());
    specs.set(37, specs.get(37).toBuilder().setPrompt("Item 37").build());
    BatchCreateTasksResponse batch =
        api.call(
            TaskServiceGrpc.getBatchCreateTasksMethod(),
            BatchCreateTasksRequest.newBuilder().addAllSpecs(specs).build(),
            headers);
    assertEquals(50, batch.getTasksCount());
    assertEquals("item 37", batch.getTasks(37).getName());
    Set<String> ids = new HashSet<>();
    batch.getTasksList().forEach(t -> ids.add(t.getId()));
    assertEquals(50, ids.size());

    // lineage
    TaskLineage lineage =
        api.call(
            TaskServiceGrpc.getGetTaskLineageMethod(),
            GetTaskLineageRequest.newBuilder().setId(child.getId()).build(),
            headers);
    assertEquals(
        List.of(created.getId(), child.getId()),
        lineage.getTasksList().stream().map(Task::getId).toList());
    assertEquals(1, lineage.getEdgesCount());
    assertEquals(created.getId(), lineage.getEdges(0).getParentId());
    assertEquals(child.getId(), lineage.getEdges(0).getChildId());
    System.out.println(tag + "lineage: " + created.getId() + " -> " + child.getId());
  }

  private static TaskStatus status(Api api, String id, Map<String, String> headers) {
    return api.call(
            TaskServiceGrpc.getGetTaskMethod(),
            GetTaskRequest.newBuilder().setId(id).build(),
            headers)
        .getStatus();
  }

  private static ListAttemptsResponse attempts(Api api, String id, Map<String, String> headers) {
    return api.call(
        TaskServiceGrpc.getListAttemptsMethod(),
        ListAttemptsRequest.newBuilder().setId(id).build(),
        headers);
  }
}

package dev.orchestrator.examples.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.orchestrator.grpc.v1.BatchCreateTasksRequest;
import dev.orchestrator.grpc.v1.ChainTaskRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.GetTaskRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.RetryTaskRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskSpec;
import dev.orchestrator.grpc.v1.TaskStatus;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.jdbc.StoreException;
import dev.orchestrator.testing.Waits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of {@link GrpcErrors}' table, through both clients. */
class GrpcErrorMappingTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.close();
  }

  @AfterEach
  void heal() {
    server.store.fault.set(null);
  }

  static Stream<Api> clients() {
    return server.clients();
  }

  private static final Map<String, String> HEADERS =
      Map.of("x-user-id", "errors", "x-request-id", "req-errors-1");

  private static StatusRuntimeException fails(Api api, Supplier<?> call, Status.Code code) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertTrue(
        e.getStatus().getDescription().endsWith("(request req-errors-1)"),
        "the request id is in the message: " + e.getStatus().getDescription());
    return e;
  }

  private static Task create(Api api, TaskSpec spec) {
    return api.call(
        TaskServiceGrpc.getCreateTaskMethod(),
        CreateTaskRequest.newBuilder().setSpec(spec).build(),
        HEADERS);
  }

  private static TaskStatus status(Api api, String id) {
    return api.call(
            TaskServiceGrpc.getGetTaskMethod(),
            GetTaskRequest.newBuilder().setId(id).build(),
            HEADERS)
        .getStatus();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void validationIsInvalidArgumentWithTheProblem(Api api) {
    StatusRuntimeException e =
        fails(
            api,
            () -> create(api, TaskSpec.newBuilder().setPrompt("x").setMaxAttempts(0).build()),
            Status.Code.INVALID_ARGUMENT);
    ErrorInfo info = Api.errorInfo(e);
    assertEquals("MAX_ATTEMPTS_OUT_OF_RANGE", info.getReason());
    assertEquals(GrpcErrors.DOMAIN, info.getDomain());
    assertEquals("0", info.getMetadataOrThrow("index"));
    assertEquals("req-errors-1", info.getMetadataOrThrow("requestId"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aBatchNamesTheBadItem(Api api) {
    BatchCreateTasksRequest.Builder b = BatchCreateTasksRequest.newBuilder();
    for (int i = 0; i < 5; i++) {
      b.addSpecs(TaskSpec.newBuilder().setPrompt(i == 3 ? "" : "ok " + i));
    }
    StatusRuntimeException e =
        fails(
            api,
            () -> api.call(TaskServiceGrpc.getBatchCreateTasksMethod(), b.build(), HEADERS),
            Status.Code.INVALID_ARGUMENT);
    assertEquals("EMPTY_PROMPT", Api.errorInfo(e).getReason());
    assertEquals("3", Api.errorInfo(e).getMetadataOrThrow("index"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void malformedIdsTokensAndSequencesAreInvalidArgument(Api api) {
    StatusRuntimeException badId =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getGetTaskMethod(),
                    GetTaskRequest.newBuilder().setId("1-1-1-1-1").build(),
                    HEADERS),
            Status.Code.INVALID_ARGUMENT);
    assertEquals(BadRequestException.BAD_ID, Api.errorInfo(badId).getReason());
    StatusRuntimeException badToken =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getListTasksMethod(),
                    ListTasksRequest.newBuilder().setPageToken("page-two").build(),
                    HEADERS),
            Status.Code.INVALID_ARGUMENT);
    assertEquals(BadRequestException.BAD_PAGE_TOKEN, Api.errorInfo(badToken).getReason());
    StatusRuntimeException badSequence =
        assertThrows(
            StatusRuntimeException.class,
            () -> {
              try (Api.Watch w =
                  api.watch(
                      WatchTasksRequest.newBuilder().setAfterSequence("not-a-position").build(),
                      HEADERS,
                      Duration.ofSeconds(10))) {
                w.hasNext();
              }
            });
    assertEquals(Status.Code.INVALID_ARGUMENT, badSequence.getStatus().getCode());
    assertEquals(BadRequestException.BAD_SEQUENCE, Api.errorInfo(badSequence).getReason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void unknownTaskAndParentAreNotFound(Api api) {
    String nobody = UUID.randomUUID().toString();
    StatusRuntimeException task =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getGetTaskMethod(),
                    GetTaskRequest.newBuilder().setId(nobody).build(),
                    HEADERS),
            Status.Code.NOT_FOUND);
    assertEquals("TASK_NOT_FOUND", Api.errorInfo(task).getReason());
    StatusRuntimeException parent =
        fails(
            api,
            () ->
                create(api, TaskSpec.newBuilder().setPrompt("child").addDependsOn(nobody).build()),
            Status.Code.NOT_FOUND);
    assertEquals("UNKNOWN_PARENT", Api.errorInfo(parent).getReason());
    StatusRuntimeException chained =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getChainTaskMethod(),
                    ChainTaskRequest.newBuilder()
                        .setParentId(nobody)
                        .setSpec(TaskSpec.newBuilder().setPrompt("x"))
                        .build(),
                    HEADERS),
            Status.Code.NOT_FOUND);
    assertNotNull(Api.errorInfo(chained).getReason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void illegalTransitionsAreFailedPrecondition(Api api) {
    Task done = create(api, TaskSpec.newBuilder().setPrompt("finish me").build());
    Waits.until(
        "completed",
        Duration.ofSeconds(10),
        () -> status(api, done.getId()) == TaskStatus.TASK_STATUS_COMPLETED);
    StatusRuntimeException retry =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getRetryTaskMethod(),
                    RetryTaskRequest.newBuilder().setId(done.getId()).build(),
                    HEADERS),
            Status.Code.FAILED_PRECONDITION);
    assertEquals("ILLEGAL_TRANSITION", Api.errorInfo(retry).getReason());
    // a cancel of a finished task is no error: it answers the task as it is
    Task unchanged =
        api.call(
            TaskServiceGrpc.getCancelTaskMethod(),
            dev.orchestrator.grpc.v1.CancelTaskRequest.newBuilder().setId(done.getId()).build(),
            HEADERS);
    assertEquals(TaskStatus.TASK_STATUS_COMPLETED, unchanged.getStatus());

    Task later =
        create(
            api,
            TaskSpec.newBuilder()
                .setPrompt("later")
                .setDelay(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                .build());
    StatusRuntimeException chain =
        fails(
            api,
            () ->
                api.call(
                    TaskServiceGrpc.getChainTaskMethod(),
                    ChainTaskRequest.newBuilder()
                        .setParentId(later.getId())
                        .setSpec(TaskSpec.newBuilder().setPrompt("after {{parent.output}}"))
                        .build(),
                    HEADERS),
            Status.Code.FAILED_PRECONDITION);
    assertEquals("PARENT_NOT_COMPLETED", Api.errorInfo(chain).getReason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aStoreThatIsDownIsUnavailable(Api api) {
    server.store.fault.set(
        () ->
            new StoreException(
                "connection refused", new SQLException("Connection refused", "08001")));
    StatusRuntimeException e =
        fails(
            api,
            () -> create(api, TaskSpec.newBuilder().setPrompt("while down").build()),
            Status.Code.UNAVAILABLE);
    assertEquals("STORE_UNAVAILABLE", Api.errorInfo(e).getReason());
    server.store.fault.set(null);
    Task back = create(api, TaskSpec.newBuilder().setPrompt("back up").build());
    assertFalse(back.getId().isEmpty(), "served again once the store is back");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anythingElseIsInternalWithoutAStackTrace(Api api) {
    server.store.fault.set(
        () -> new IllegalStateException("secret: the table orchestrator_tasks is locked"));
    StatusRuntimeException e =
        fails(
            api,
            () -> create(api, TaskSpec.newBuilder().setPrompt("boom").build()),
            Status.Code.INTERNAL);
    String description = e.getStatus().getDescription();
    assertFalse(description.contains("secret"), description);
    assertFalse(description.contains("IllegalStateException"), description);
    assertFalse(description.contains("\tat "), description);
    assertEquals("INTERNAL", Api.errorInfo(e).getReason());
  }
}

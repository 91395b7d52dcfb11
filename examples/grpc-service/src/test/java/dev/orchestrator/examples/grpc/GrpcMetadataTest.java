package dev.orchestrator.examples.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.grpc.v1.CancelTaskRequest;
import dev.orchestrator.grpc.v1.ChainTaskRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.GetTaskRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskSpec;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.testing.Waits;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** x-request-id, x-user-id and grpc-timeout, through both clients. */
class GrpcMetadataTest {
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
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

  private static Task create(Api api, Map<String, String> headers, String prompt) {
    return api.call(
        TaskServiceGrpc.getCreateTaskMethod(),
        CreateTaskRequest.newBuilder().setSpec(TaskSpec.newBuilder().setPrompt(prompt)).build(),
        headers);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aSaneRequestIdComesBackInTheTrailersAndIsInTheMdc(Api api) {
    String id = "trace-" + UUID.randomUUID() + ":1";
    Task t = create(api, Map.of("x-request-id", id), "with an id");
    assertEquals(id, api.lastTrailers.get(Api.REQUEST_ID));
    api.call(
        TaskServiceGrpc.getGetTaskMethod(),
        GetTaskRequest.newBuilder().setId(t.getId()).build(),
        Map.of("x-request-id", id));
    assertEquals(id, api.lastTrailers.get(Api.REQUEST_ID));
    assertTrue(
        server.store.readRequestIds.contains(id),
        "the store's read ran with the request id in the MDC: " + server.store.readRequestIds);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anInsaneOrMissingRequestIdIsReplaced(Api api) {
    create(api, Map.of("x-request-id", "has spaces and / slashes"), "bad id");
    String given = api.lastTrailers.get(Api.REQUEST_ID);
    assertTrue(UUID_TEXT.matcher(given).matches(), given);
    create(api, Map.of("x-request-id", "x".repeat(129)), "long id");
    assertTrue(UUID_TEXT.matcher(api.lastTrailers.get(Api.REQUEST_ID)).matches());
    create(api, Map.of(), "no id");
    String generated = api.lastTrailers.get(Api.REQUEST_ID);
    assertTrue(UUID_TEXT.matcher(generated).matches(), generated);
    assertNotEquals(given, generated);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anErrorCarriesTheRequestIdInItsTrailersAndMessage(Api api) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getGetTaskMethod(),
                    GetTaskRequest.newBuilder().setId(UUID.randomUUID().toString()).build(),
                    Map.of("x-request-id", "err-42")));
    assertEquals("err-42", e.getTrailers().get(Api.REQUEST_ID));
    assertTrue(e.getStatus().getDescription().contains("err-42"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anotherOwnersTaskIsNotFound(Api api) {
    Map<String, String> alice = Map.of("x-user-id", "alice-" + api.name().length());
    Map<String, String> bob = Map.of("x-user-id", "bob-" + api.name().length());
    Task hers = create(api, alice, "alice's secret plan");
    assertEquals(alice.get("x-user-id"), hers.getOwner());
    for (Runnable call :
        new Runnable[] {
          () ->
              api.call(
                  TaskServiceGrpc.getGetTaskMethod(),
                  GetTaskRequest.newBuilder().setId(hers.getId()).build(),
                  bob),
          () ->
              api.call(
                  TaskServiceGrpc.getCancelTaskMethod(),
                  CancelTaskRequest.newBuilder().setId(hers.getId()).build(),
                  bob),
          () ->
              api.call(
                  TaskServiceGrpc.getChainTaskMethod(),
                  ChainTaskRequest.newBuilder()
                      .setParentId(hers.getId())
                      .setSpec(TaskSpec.newBuilder().setPrompt("steal {{parent.output}}"))
                      .build(),
                  bob),
          () -> {
            try (Api.Watch w =
                api.watch(
                    WatchTasksRequest.newBuilder().setTaskId(hers.getId()).build(),
                    bob,
                    Duration.ofSeconds(10))) {
              w.hasNext();
            }
          }
        }) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
    }
    assertEquals(
        0,
        api.call(TaskServiceGrpc.getListTasksMethod(), ListTasksRequest.getDefaultInstance(), bob)
            .getTasksCount());
    assertEquals(
        hers.getId(),
        api.call(
                TaskServiceGrpc.getGetTaskMethod(),
                GetTaskRequest.newBuilder().setId(hers.getId()).build(),
                alice)
            .getId());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aWatchEndsAtItsDeadlineAndTheServerStopsTailing(Api api) {
    Map<String, String> owner = Map.of("x-user-id", "deadline-" + api.name().length());
    Task t = create(api, owner, "watched");
    long start = System.nanoTime();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> {
              try (Api.Watch w =
                  api.watch(
                      WatchTasksRequest.newBuilder().setTaskId(t.getId()).build(),
                      owner,
                      Duration.ofMillis(700))) {
                while (w.hasNext()) {
                  w.next();
                }
              }
            });
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
    assertTrue(tookMillis >= 600 && tookMillis < 5000, "ended at the deadline: " + tookMillis);
    Waits.until(
        "the server's watch of the expired call ended",
        Duration.ofSeconds(5),
        () -> server.server.activeWatches() == 0);
  }

  @Test
  void anExpiredDeadlineAnswersDeadlineExceededAndInterruptsTheServerWork() {
    Metadata md = new Metadata();
    md.put(RequestMetadata.REQUEST_ID, TestServer.FaultyStore.HELD_CALL);
    var stub =
        TaskServiceGrpc.newBlockingStub(server.channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    Task t =
        stub.createTask(
            CreateTaskRequest.newBuilder()
                .setSpec(TaskSpec.newBuilder().setPrompt("held"))
                .build());
    server.store.holdReads.set(new CountDownLatch(1));
    server.store.interruptedReads.clear();
    try {
      long start = System.nanoTime();
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  stub.withDeadlineAfter(400, TimeUnit.MILLISECONDS)
                      .getTask(GetTaskRequest.newBuilder().setId(t.getId()).build()));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
      assertTrue((System.nanoTime() - start) / 1_000_000 < 5000, "answered at the deadline");
      Waits.until(
          "the held read was interrupted",
          Duration.ofSeconds(5),
          () -> server.store.interruptedReads.contains(true));
    } finally {
      server.store.holdReads.set(null);
    }
  }

  @Test
  void theServerAnswersDeadlineExceededItselfToAGrpcWebCall() {
    Api.Web web = new Api.Web(server.port());
    Map<String, String> held = Map.of("x-request-id", TestServer.FaultyStore.HELD_CALL);
    Task t = create(web, Map.of(), "held for the web");
    server.store.holdReads.set(new CountDownLatch(1));
    server.store.interruptedReads.clear();
    try {
      // no client-side deadline here: the status comes from the server
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  web.client()
                      .call(
                          TaskServiceGrpc.getGetTaskMethod().getFullMethodName(),
                          GrpcWebClient.frame(
                              GetTaskRequest.newBuilder().setId(t.getId()).build().toByteArray()),
                          held,
                          "300m"));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getDescription().contains(TestServer.FaultyStore.HELD_CALL));
      assertEquals(TestServer.FaultyStore.HELD_CALL, e.getTrailers().get(Api.REQUEST_ID));
      Waits.until(
          "the held read was interrupted",
          Duration.ofSeconds(5),
          () -> server.store.interruptedReads.contains(true));
    } finally {
      server.store.holdReads.set(null);
    }
  }
}

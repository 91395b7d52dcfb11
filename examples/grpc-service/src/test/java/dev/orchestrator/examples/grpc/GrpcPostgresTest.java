package dev.orchestrator.examples.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.grpc.v1.BatchCreateTasksRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskSpec;
import dev.orchestrator.grpc.v1.TaskStatus;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.jdbc.PostgresWorkSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API on the PostgreSQL store and work source: a task watched to COMPLETED over gRPC-web, the
 * watch resumed from its PostgreSQL feed position over HTTP/2, and an atomic batch.
 */
class GrpcPostgresTest {
  private static HikariDataSource dataSource;
  private static PostgresTaskStore store;
  private static PostgresWorkSource source;
  private static TestServer server;

  @BeforeAll
  static void start() {
    dataSource = PostgresTestDatabase.dataSource(6);
    store = PostgresTestDatabase.newStore(dataSource, GrpcPostgresTest.class);
    source = PostgresWorkSource.of(store);
    server = new TestServer(store, source);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
      source.close();
      PostgresTestDatabase.drop(dataSource, store.tablePrefix());
      dataSource.close();
    }
  }

  @Test
  void watchedToCompletedAndResumedFromThePostgresFeed() {
    Map<String, String> headers = Map.of("x-user-id", "pg");
    Api web = new Api.Web(server.port());
    Api h2 = new Api.Http2(server.channel);
    Task t =
        web.call(
            TaskServiceGrpc.getCreateTaskMethod(),
            CreateTaskRequest.newBuilder()
                .setSpec(TaskSpec.newBuilder().setName("pg").setPrompt("Stored in PostgreSQL"))
                .build(),
            headers);
    List<WatchTasksResponse> seen = new ArrayList<>();
    try (Api.Watch w =
        web.watch(
            WatchTasksRequest.newBuilder().setTaskId(t.getId()).build(),
            headers,
            Duration.ofSeconds(15))) {
      while (w.hasNext()) {
        WatchTasksResponse r = w.next();
        seen.add(r);
        if (r.getEvent().getTo() == TaskStatus.TASK_STATUS_COMPLETED) {
          break;
        }
      }
    }
    assertEquals(TaskStatus.TASK_STATUS_COMPLETED, seen.get(seen.size() - 1).getEvent().getTo());
    assertTrue(seen.size() >= 3, "created, claimed, completed: " + seen);

    // resumed after the first event: the same later events, none repeated
    List<WatchTasksResponse> resumed = new ArrayList<>();
    try (Api.Watch w =
        h2.watch(
            WatchTasksRequest.newBuilder()
                .setTaskId(t.getId())
                .setAfterSequence(seen.get(0).getSequence())
                .build(),
            headers,
            Duration.ofSeconds(15))) {
      while (resumed.size() < seen.size() - 1 && w.hasNext()) {
        resumed.add(w.next());
      }
    }
    assertEquals(seen.subList(1, seen.size()), resumed);
  }

  @Test
  void aBadBatchWritesNothingToPostgres() {
    Map<String, String> headers = Map.of("x-user-id", "pg-batch");
    Api h2 = new Api.Http2(server.channel);
    BatchCreateTasksRequest.Builder b = BatchCreateTasksRequest.newBuilder();
    for (int i = 0; i < 50; i++) {
      b.addSpecs(TaskSpec.newBuilder().setPrompt("item " + i).setMaxAttempts(i == 49 ? 0 : 2));
    }
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> h2.call(TaskServiceGrpc.getBatchCreateTasksMethod(), b.build(), headers));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("49", Api.errorInfo(e).getMetadataOrThrow("index"));
    assertFalse(
        h2.call(
                    TaskServiceGrpc.getListTasksMethod(),
                    ListTasksRequest.getDefaultInstance(),
                    headers)
                .getTasksCount()
            > 0,
        "nothing was written");
  }
}

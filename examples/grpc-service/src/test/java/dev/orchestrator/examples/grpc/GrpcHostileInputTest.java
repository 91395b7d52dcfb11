package dev.orchestrator.examples.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskSpec;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Requests no well-behaved client sends: none may crash a call into INTERNAL or write a task. */
class GrpcHostileInputTest {
  private static final Map<String, String> HEADERS = Map.of("x-user-id", "hostile");
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

  private static int tasks(Api api) {
    return api.call(
            TaskServiceGrpc.getListTasksMethod(), ListTasksRequest.getDefaultInstance(), HEADERS)
        .getTasksCount();
  }

  /** A CreateTaskRequest whose spec's prompt (field 3 of field 1) is these raw bytes. */
  static byte[] createWithRawPrompt(byte[] prompt) throws IOException {
    ByteArrayOutputStream specBytes = new ByteArrayOutputStream();
    CodedOutputStream spec = CodedOutputStream.newInstance(specBytes);
    spec.writeByteArray(3, prompt);
    spec.flush();
    ByteArrayOutputStream requestBytes = new ByteArrayOutputStream();
    CodedOutputStream request = CodedOutputStream.newInstance(requestBytes);
    request.writeByteArray(1, specBytes.toByteArray());
    request.flush();
    return requestBytes.toByteArray();
  }

  private static final byte[] NOT_UTF8 = {'h', 'i', (byte) 0xC3, (byte) 0x28, (byte) 0xFF};

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aMessageOverTheLimitIsResourceExhausted(Api api) {
    int before = tasks(api);
    String huge = "x".repeat(1024 * 1024 + 10);
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getCreateTaskMethod(),
                    CreateTaskRequest.newBuilder()
                        .setSpec(TaskSpec.newBuilder().setPrompt(huge))
                        .build(),
                    HEADERS));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    assertEquals(before, tasks(api), "nothing was written");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aPromptOverTheOrchestratorsLimitIsInvalidArgument(Api api) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getCreateTaskMethod(),
                    CreateTaskRequest.newBuilder()
                        .setSpec(TaskSpec.newBuilder().setPrompt("y".repeat(200_001)))
                        .build(),
                    HEADERS));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertEquals("PROMPT_TOO_LONG", Api.errorInfo(e).getReason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anUnknownEnumValueIsInvalidArgument(Api api) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getListTasksMethod(),
                    ListTasksRequest.newBuilder().addStatusesValue(42).build(),
                    HEADERS));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertEquals(BadRequestException.BAD_ENUM, Api.errorInfo(e).getReason());
    assertTrue(e.getStatus().getDescription().contains("42"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anOwnerThatIsNoTokenIsInvalidArgument(Api api) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                api.call(
                    TaskServiceGrpc.getListTasksMethod(),
                    ListTasksRequest.getDefaultInstance(),
                    Map.of("x-user-id", "u".repeat(129))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
  }

  @Test
  void invalidUtf8InAStringIsInvalidArgumentOverGrpcWeb() throws IOException {
    Api.Web web = new Api.Web(server.port());
    int before = tasks(web);
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                web.client()
                    .call(
                        TaskServiceGrpc.getCreateTaskMethod().getFullMethodName(),
                        GrpcWebClient.frame(createWithRawPrompt(NOT_UTF8)),
                        Map.of("x-user-id", "hostile", "x-request-id", "utf8-web"),
                        null));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertEquals(BadRequestException.MALFORMED_MESSAGE, Api.errorInfo(e).getReason());
    assertEquals("utf8-web", e.getTrailers().get(Api.REQUEST_ID));
    assertEquals(before, tasks(web));
  }

  @Test
  void invalidUtf8InAStringIsInvalidArgumentOverHttp2() throws IOException {
    byte[] body = createWithRawPrompt(NOT_UTF8);
    MethodDescriptor<byte[], byte[]> raw =
        TaskServiceGrpc.getCreateTaskMethod().toBuilder(new Bytes(), new Bytes()).build();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                ClientCalls.blockingUnaryCall(
                    server.channel,
                    raw,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    body));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertEquals(BadRequestException.MALFORMED_MESSAGE, Api.errorInfo(e).getReason());
  }

  @Test
  void bytesThatAreNoMessageAreInvalidArgument() {
    Api.Web web = new Api.Web(server.port());
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                web.client()
                    .call(
                        TaskServiceGrpc.getCreateTaskMethod().getFullMethodName(),
                        GrpcWebClient.frame(new byte[] {(byte) 0x0A, (byte) 0xFF, 1, 2}),
                        HEADERS,
                        null));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
  }

  @Test
  void aMalformedGrpcTimeoutIsInvalidArgument() {
    Api.Web web = new Api.Web(server.port());
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                web.client()
                    .call(
                        TaskServiceGrpc.getListTasksMethod().getFullMethodName(),
                        GrpcWebClient.frame(new byte[0]),
                        HEADERS,
                        "soon"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
  }

  /** Sends and receives raw bytes: a client that can write what no generated one would. */
  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}

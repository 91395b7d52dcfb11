package dev.orchestrator.examples.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * A gRPC-web client written here against the wire format (application/grpc-web+proto over HTTP/1.1
 * with java.net.http): each message a frame of flag byte 0x00, a 4-byte big-endian length and the
 * bytes; the trailers a last frame with flag 0x80 holding "name: value" lines. An answer without a
 * body (trailers-only) carries grpc-status in its HTTP headers.
 */
final class GrpcWebClient {
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String base;

  GrpcWebClient(int port) {
    base = "http://127.0.0.1:" + port + "/";
  }

  /** The result of a call: its messages (raw), HTTP headers and trailers. */
  record Answer(java.util.List<byte[]> messages, Metadata headers, Metadata trailers) {}

  /** Frames one message. */
  static byte[] frame(byte[] message) {
    ByteBuffer b = ByteBuffer.allocate(5 + message.length);
    b.put((byte) 0).putInt(message.length).put(message);
    return b.array();
  }

  /** One unary call with a typed request and answer; throws StatusRuntimeException on an error. */
  <Q, R> R unary(MethodDescriptor<Q, R> method, Q request, Map<String, String> headers) {
    Answer a = call(method.getFullMethodName(), frame(toBytes(request)), headers, null);
    if (a.messages().size() != 1) {
      throw new AssertionError("a unary answer has one message: " + a.messages().size());
    }
    return method.parseResponse(new java.io.ByteArrayInputStream(a.messages().get(0)));
  }

  static byte[] toBytes(Object message) {
    return ((MessageLite) message).toByteArray();
  }

  /** A raw call: the body as given; the status is checked, the answer returned. */
  Answer call(String fullMethod, byte[] body, Map<String, String> headers, String timeout) {
    try (InputStream in = open(fullMethod, body, headers, timeout)) {
      return read(in, lastHeaders);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Metadata lastHeaders;

  private InputStream open(
      String fullMethod, byte[] body, Map<String, String> headers, String timeout)
      throws IOException {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + fullMethod))
            .header("content-type", "application/grpc-web+proto")
            .header("accept", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (timeout != null) {
      r.header("grpc-timeout", timeout);
    }
    headers.forEach(r::header);
    HttpResponse<InputStream> response;
    try {
      response = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    if (response.version() != HttpClient.Version.HTTP_1_1) {
      throw new AssertionError("expected HTTP/1.1, got " + response.version());
    }
    Metadata h = new Metadata();
    response
        .headers()
        .map()
        .forEach(
            (k, vs) ->
                vs.forEach(
                    v -> {
                      if (k.startsWith(":")) {
                        return;
                      }
                      if (k.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                        h.put(
                            Metadata.Key.of(k, Metadata.BINARY_BYTE_MARSHALLER),
                            Base64.getDecoder().decode(v));
                      } else {
                        h.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v);
                      }
                    }));
    if (response.statusCode() != 200) {
      throw new StatusRuntimeException(
          Status.UNKNOWN.withDescription("HTTP " + response.statusCode()), h);
    }
    lastHeaders = h;
    return response.body();
  }

  private static final Metadata.Key<String> STATUS =
      Metadata.Key.of("grpc-status", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> MESSAGE =
      Metadata.Key.of("grpc-message", Metadata.ASCII_STRING_MARSHALLER);

  private static Answer read(InputStream in, Metadata headers) throws IOException {
    java.util.List<byte[]> messages = new java.util.ArrayList<>();
    DataInputStream data = new DataInputStream(in);
    Metadata trailers = null;
    while (true) {
      int flag = data.read();
      if (flag < 0) {
        break;
      }
      int length = data.readInt();
      byte[] payload = data.readNBytes(length);
      if (payload.length != length) {
        throw new EOFException("frame cut short");
      }
      if ((flag & 0x80) != 0) {
        trailers = parseTrailers(payload);
        break;
      }
      messages.add(payload);
    }
    if (trailers == null) {
      trailers = headers; // trailers-only
    }
    check(trailers);
    return new Answer(messages, headers, trailers);
  }

  static Metadata parseTrailers(byte[] payload) {
    Metadata m = new Metadata();
    for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        String name = line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
        String value = line.substring(colon + 1).trim();
        if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          m.put(
              Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
              Base64.getDecoder().decode(value));
        } else {
          m.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        }
      }
    }
    return m;
  }

  private static void check(Metadata trailers) {
    String code = trailers.get(STATUS);
    if (code == null) {
      throw new StatusRuntimeException(
          Status.INTERNAL.withDescription("no grpc-status in the answer"), trailers);
    }
    Status status = Status.fromCodeValue(Integer.parseInt(code));
    if (!status.isOk()) {
      String message = trailers.get(MESSAGE);
      throw new StatusRuntimeException(
          status.withDescription(
              message == null
                  ? null
                  : URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8)),
          trailers);
    }
  }

  /**
   * A server-streaming call read as it comes: the iterator gives each message as it arrives, and
   * throws StatusRuntimeException when the stream ends with an error.
   */
  <Q, R> Stream<R> stream(
      MethodDescriptor<Q, R> method, Q request, Map<String, String> headers, String timeout) {
    try {
      InputStream in = open(method.getFullMethodName(), frame(toBytes(request)), headers, timeout);
      return new Stream<>(
          in, lastHeaders, bytes -> method.parseResponse(new java.io.ByteArrayInputStream(bytes)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static final class Stream<R> implements Iterator<R>, AutoCloseable {
    private final DataInputStream in;
    private final Metadata headers;
    private final Function<byte[], R> parse;
    private R next;
    private boolean done;
    Metadata trailers;

    Stream(InputStream in, Metadata headers, Function<byte[], R> parse) {
      this.in = new DataInputStream(in);
      this.headers = headers;
      this.parse = parse;
    }

    @Override
    public boolean hasNext() {
      if (next != null) {
        return true;
      }
      if (done) {
        return false;
      }
      try {
        int flag = in.read();
        if (flag < 0) {
          done = true;
          trailers = headers;
          check(headers);
          return false;
        }
        int length = in.readInt();
        byte[] payload = in.readNBytes(length);
        if ((flag & 0x80) != 0) {
          done = true;
          trailers = parseTrailers(payload);
          check(trailers);
          return false;
        }
        next = parse.apply(payload);
        return true;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public R next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      R r = next;
      next = null;
      return r;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Bytes of a frame of a body, for tests that write their own. */
  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}

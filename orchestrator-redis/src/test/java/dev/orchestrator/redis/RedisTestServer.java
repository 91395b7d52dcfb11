package dev.orchestrator.redis;

import dev.orchestrator.jdbc.PostgresTestDatabase;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The shared Redis the tests run against: the server named by {@value #URL_ENV} (a {@code redis://}
 * URL), else one answering PING on 127.0.0.1:6379, else a Testcontainers container when Docker is
 * available, else none: the test is skipped with the reason printed once, or fails when {@code
 * ORCHESTRATOR_REQUIRE_SERVERS} is {@code true} (as CI sets it). Tests never flush it: each works
 * under a key prefix of its own. Fault tests use a {@link RedisProcess} instead.
 */
public final class RedisTestServer {
  public static final String URL_ENV = "ORCHESTRATOR_TEST_REDIS_URL";
  private static final String LOCAL = "redis://127.0.0.1:6379";

  private static String url;
  private static String unavailable;
  private static boolean told;

  private RedisTestServer() {}

  /** The URL of the server; skips or fails the calling test when there is none. */
  public static synchronized String url() {
    if (url == null && unavailable == null) {
      locate();
    }
    if (url == null) {
      String message = "no Redis for this test: " + unavailable;
      if ("true".equalsIgnoreCase(System.getenv(PostgresTestDatabase.REQUIRE_ENV))) {
        Assertions.fail(message + " (" + PostgresTestDatabase.REQUIRE_ENV + "=true)");
      }
      // Deliberate skip, only on a machine with no Redis, no URL and no Docker: the reason is
      // printed once; CI sets ORCHESTRATOR_REQUIRE_SERVERS=true and fails above instead.
      if (!told) {
        told = true;
        System.out.println("SKIPPED: " + message);
      }
      Assumptions.abort(message);
    }
    return url;
  }

  private static void locate() {
    String configured = System.getenv(URL_ENV);
    if (configured != null && !configured.isBlank()) {
      url = configured;
      return;
    }
    if (answers(LOCAL)) {
      url = LOCAL;
      return;
    }
    try {
      if (!DockerClientFactory.instance().isDockerAvailable()) {
        unavailable =
            URL_ENV + " is not set, 127.0.0.1:6379 does not answer, Docker is not available";
        return;
      }
      GenericContainer<?> container =
          new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      url = "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
    } catch (RuntimeException e) {
      unavailable =
          URL_ENV + " is not set, 127.0.0.1:6379 does not answer, Testcontainers failed: " + e;
    }
  }

  static boolean answers(String url) {
    try (RedisClient client = RedisClient.create(url)) {
      return "PONG".equals(client.ping());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Deletes a test's keys (with SCAN: fine in a test, never on a hot path). */
  public static void deleteKeys(String url, String prefix) {
    try (RedisClient client = RedisClient.create(url)) {
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page =
            client.scan(cursor, new ScanParams().match(prefix + "*").count(1000));
        if (!page.getResult().isEmpty()) {
          client.del(page.getResult().toArray(String[]::new));
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
  }

  /** A key prefix no other test uses. */
  public static String newPrefix(Class<?> testClass) {
    return "test:"
        + testClass.getSimpleName().toLowerCase(Locale.ROOT)
        + ":"
        + UUID.randomUUID().toString().substring(0, 8)
        + ":";
  }
}

package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL the tests run against: the server named by {@value #URL_ENV} (a JDBC URL, user and
 * password as its parameters), else the usual local one ({@value #LOCAL_URL}) when it answers, else
 * a Testcontainers container when Docker is available, else none: the test is skipped with the
 * reason printed, or fails when {@value #REQUIRE_ENV} is {@code true} (as CI sets it). Each test
 * class works on tables of its own prefix and drops them when done.
 */
public final class PostgresTestDatabase {
  public static final String URL_ENV = "ORCHESTRATOR_TEST_POSTGRES_URL";
  public static final String REQUIRE_ENV = "ORCHESTRATOR_REQUIRE_SERVERS";

  /** A developer machine's PostgreSQL: local, user postgres, database test, no password. */
  public static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static String url;
  private static String unavailable;
  private static boolean skipAnnounced;

  private PostgresTestDatabase() {}

  /** The JDBC URL of the server; skips or fails the calling test when there is none. */
  public static synchronized String url() {
    if (url == null && unavailable == null) {
      locate();
    }
    if (url == null) {
      String message =
          "no PostgreSQL for this test ("
              + unavailable
              + "); set "
              + URL_ENV
              + " to a JDBC URL to run it";
      if ("true".equalsIgnoreCase(System.getenv(REQUIRE_ENV))) {
        Assertions.fail(message + " (" + REQUIRE_ENV + "=true)");
      }
      // Deliberate skip, only on a developer's machine with no server and no Docker: the reason is
      // printed and reported by JUnit. CI sets ORCHESTRATOR_REQUIRE_SERVERS=true and fails above.
      if (!skipAnnounced) {
        skipAnnounced = true;
        System.out.println("SKIPPED: " + message);
      }
      Assumptions.abort(message);
    }
    return url;
  }

  private static void locate() {
    String configured = System.getenv(URL_ENV);
    if (configured != null && !configured.isBlank() && !configured.startsWith("${")) {
      url = configured;
      return;
    }
    String local = LOCAL_URL + "&connectTimeout=2&loginTimeout=3";
    try (Connection c = DriverManager.getConnection(local)) {
      url = LOCAL_URL;
      return;
    } catch (SQLException e) {
      unavailable = URL_ENV + " is not set, " + LOCAL_URL + " refused (" + e.getMessage() + ")";
    }
    try {
      if (!DockerClientFactory.instance().isDockerAvailable()) {
        unavailable += " and Docker is not available";
        return;
      }
      PostgreSQLContainer container = new PostgreSQLContainer("postgres:16-alpine");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      String jdbcUrl = container.getJdbcUrl();
      url =
          jdbcUrl
              + (jdbcUrl.contains("?") ? "&" : "?")
              + "user="
              + container.getUsername()
              + "&password="
              + container.getPassword();
    } catch (RuntimeException e) {
      unavailable += " and Testcontainers failed: " + e;
    }
  }

  /** A new pool on the server; the caller closes it. */
  public static HikariDataSource dataSource(int maximumPoolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url());
    config.setMaximumPoolSize(maximumPoolSize);
    config.setPoolName("test-" + PREFIXES.get());
    return new HikariDataSource(config);
  }

  /** A table prefix no other test uses, named after the test class. */
  public static String newPrefix(Class<?> testClass) {
    String name = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (name.length() > 24) {
      name = name.substring(0, 24);
    }
    return "t_" + name + PREFIXES.incrementAndGet() + "_";
  }

  /** A migrated store on tables of a fresh prefix. */
  public static PostgresTaskStore newStore(DataSource dataSource, Class<?> testClass) {
    return PostgresTaskStore.builder()
        .dataSource(dataSource)
        .tablePrefix(newPrefix(testClass))
        .build();
  }

  /** Drops the tables of a prefix. */
  /** The versions of the migration scripts after {@code version}, in order (V7__x.sql is 7). */
  public static java.util.List<Integer> versions(int after) {
    return SchemaMigrator.SCRIPTS.stream()
        .map(script -> Integer.parseInt(script.substring(1, script.indexOf("__"))))
        .filter(v -> v > after)
        .toList();
  }

  public static void drop(DataSource dataSource, String prefix) {
    new SchemaMigrator(dataSource, prefix).drop();
  }
}

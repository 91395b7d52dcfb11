package dev.orchestrator.spring.web;

import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.redis.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The schedules endpoints on PostgreSQL (the application's DataSource) with Redis. */
@SpringBootTest(
    classes = ApiTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "orchestrator.mock.latency=20ms")
@org.springframework.test.annotation.DirtiesContext
class ScheduleApiOnPostgresAndRedisTest extends ScheduleApiContract {
  static final String TABLES =
      PostgresTestDatabase.newPrefix(ScheduleApiOnPostgresAndRedisTest.class);
  static final String KEYS = RedisTestServer.newPrefix(ScheduleApiOnPostgresAndRedisTest.class);

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", PostgresTestDatabase::url);
    registry.add("orchestrator.jdbc.table-prefix", () -> TABLES);
    registry.add("orchestrator.redis.url", RedisTestServer::url);
    registry.add("orchestrator.redis.key-prefix", () -> KEYS);
  }

  @AfterAll
  static void dropTablesAndKeys() {
    try (com.zaxxer.hikari.HikariDataSource admin = PostgresTestDatabase.dataSource(2)) {
      PostgresTestDatabase.drop(admin, TABLES);
    }
    RedisTestServer.deleteKeys(RedisTestServer.url(), KEYS);
  }
}

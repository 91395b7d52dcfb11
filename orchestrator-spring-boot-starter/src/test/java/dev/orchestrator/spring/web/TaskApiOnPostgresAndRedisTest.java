package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.redis.RedisTaskQueue;
import dev.orchestrator.redis.RedisTestServer;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The REST API on PostgreSQL (the application's DataSource) with Redis, as a cluster runs it. */
@SpringBootTest(
    classes = ApiTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "orchestrator.mock.latency=20ms",
      "orchestrator.templates.greet=Say hello to {{name}}"
    })
@org.springframework.test.annotation.DirtiesContext
class TaskApiOnPostgresAndRedisTest extends TaskApiContract {
  static final String TABLES = PostgresTestDatabase.newPrefix(TaskApiOnPostgresAndRedisTest.class);
  static final String KEYS = RedisTestServer.newPrefix(TaskApiOnPostgresAndRedisTest.class);

  @Autowired TaskStore store;
  @Autowired TaskQueue queue;
  @Autowired DataSource dataSource;

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

  @Test
  void itRunsOnThePartsTheApplicationHas() {
    assertThat(store).isInstanceOf(PostgresTaskStore.class);
    assertThat(queue).isInstanceOf(RedisTaskQueue.class);
  }

  @Override
  String startOfFeed() {
    return "0-0";
  }
}

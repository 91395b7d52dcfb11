package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.runtime.Ids;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Events published on one bus reach every bus of the prefix once, in publishing order. */
class RedisEventBusTest {
  private String prefix;
  private final List<RedisEventBus> buses = new ArrayList<>();

  @BeforeEach
  void open() {
    prefix = RedisTestServer.newPrefix(getClass());
    for (int i = 0; i < 3; i++) {
      buses.add(RedisEventBus.builder().url(RedisTestServer.url()).keyPrefix(prefix).build());
    }
    Waits.until(
        "every bus subscribed",
        Duration.ofSeconds(10),
        () -> buses.stream().allMatch(RedisEventBus::isListening));
  }

  @AfterEach
  void close() {
    buses.forEach(RedisEventBus::close);
  }

  private static List<TaskEvent> events(int count) {
    List<TaskEvent> events = new ArrayList<>();
    Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
    for (int i = 0; i < count; i++) {
      UUID id = Ids.next();
      events.add(new TaskEvent(id, null, TaskStatus.QUEUED, at, 0, "submitted " + i, 0));
      events.add(new TaskEvent(id, TaskStatus.QUEUED, TaskStatus.RUNNING, at, 1, "claimed", 1));
      events.add(new TaskEvent(id, TaskStatus.RUNNING, TaskStatus.COMPLETED, at, 1, "done ✓", 2));
    }
    return events;
  }

  @Test
  void everyBusHearsEveryEventOnceInOrderAndItsOwnOnlyOnce() {
    List<List<TaskEvent>> heard = new ArrayList<>();
    for (RedisEventBus bus : buses) {
      List<TaskEvent> got = new CopyOnWriteArrayList<>();
      bus.subscribe(got::add);
      heard.add(got);
    }
    List<TaskEvent> fromA = events(300);
    List<TaskEvent> fromB = events(300);
    Thread other = new Thread(() -> fromB.forEach(buses.get(1)::publish));
    other.start();
    fromA.forEach(buses.get(0)::publish);
    int total = fromA.size() + fromB.size();
    for (List<TaskEvent> got : heard) {
      Waits.until("every event heard", Duration.ofSeconds(10), () -> got.size() >= total);
    }
    for (List<TaskEvent> got : heard) {
      // each publisher's events arrive whole, once, in its order (interleaved with the other's)
      assertEquals(fromA, got.stream().filter(fromA::contains).toList());
      assertEquals(fromB, got.stream().filter(fromB::contains).toList());
      assertEquals(total, got.size());
    }
  }

  @Test
  void aQuietBusStaysSubscribedPastItsSocketTimeout() throws Exception {
    List<TaskEvent> got = new CopyOnWriteArrayList<>();
    buses.get(1).subscribe(got::add);
    long quiet =
        System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(Connecting.BLOCKING_SOCKET_TIMEOUT_MILLIS + 1000);
    while (System.nanoTime() < quiet) {
      assertTrue(buses.get(1).isListening(), "the quiet subscription was dropped");
      Thread.sleep(20);
    }
    TaskEvent event = events(1).get(0);
    buses.get(0).publish(event);
    Waits.until("the event is heard", Duration.ofSeconds(5), () -> got.contains(event));
  }

  @Test
  void unknownFieldsOfANewerNodeAreIgnored() {
    List<TaskEvent> got = new CopyOnWriteArrayList<>();
    buses.get(0).subscribe(got::add);
    UUID id = Ids.next();
    String json =
        "{\"taskId\":\""
            + id
            + "\",\"from\":\"QUEUED\",\"to\":\"RUNNING\",\"at\":\"2026-01-01T00:00:00Z\","
            + "\"attempt\":1,\"reason\":\"claimed\",\"version\":7,\"shard\":\"eu-2\"}";
    try (RedisClient client = RedisClient.create(RedisTestServer.url())) {
      client.publish(prefix + "{events}", UUID.randomUUID() + json);
    }
    Waits.until("the event is heard", Duration.ofSeconds(5), () -> !got.isEmpty());
    assertEquals(id, got.get(0).taskId());
    assertEquals(TaskStatus.RUNNING, got.get(0).to());
    assertEquals(7, got.get(0).version(), "the task's version travels with its event");
  }
}

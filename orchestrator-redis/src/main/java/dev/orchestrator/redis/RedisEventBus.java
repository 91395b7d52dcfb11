package dev.orchestrator.redis;

import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.EventBus;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The event bus of a cluster: every event published on any node reaches the subscribers of every
 * node, through one Redis pub/sub channel, {@code <prefix>{events}}. So a cancel on node A stops
 * the attempt running on node B at once (not at B's next heartbeat), an {@code await} completes as
 * soon as the task ends anywhere, and listeners on every node hear every task's events.
 *
 * <pre>{@code
 * EventBus bus = RedisEventBus.builder().url("redis://127.0.0.1:6379").build();
 * Orchestrator.builder().store(store).queue(queue).eventBus(bus)...
 * }</pre>
 *
 * <p>A node's own events reach its subscribers at once, on the publishing thread, and never a
 * second time from Redis (each message carries the bus's id). Other nodes' events arrive on one
 * listener thread, in the order their node published them. Events travel as JSON of {@link
 * TaskEvent}'s components, whatever they are; unknown ones are ignored, so nodes of two versions
 * can share a channel.
 *
 * <p>Publishing to Redis never blocks the publisher: one thread sends what is queued, pipelined,
 * and after 2 s with nothing to send publishes a bare keep-alive on the channel, so a quiet
 * subscription stays within the client's blocking socket timeout and a dead one is noticed. (Not a
 * PING on the subscription: Jedis 8's pub/sub {@code ping()} sends before it expects the reply, and
 * a fast PONG then breaks the subscription.) Pub/sub delivers at most once: while Redis is down,
 * other nodes miss this node's events (they learn of a cancel at their next heartbeat, and awaited
 * tasks through the store), the outage is logged once, and the listener resubscribes with a growing
 * backoff.
 */
public final class RedisEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(RedisEventBus.class);

  /** Events waiting to be sent; beyond it (Redis slow or down) new ones reach this node only. */
  private static final int OUTBOX_CAPACITY = 10_000;

  private static final int PIPELINE_MAX = 256;

  private static final ObjectMapper JSON = mapper();

  private final Connecting.Connection connection;
  private final UnifiedJedis jedis;
  private final String channel;
  private final String source = UUID.randomUUID().toString();
  private final List<Consumer<TaskEvent>> subscribers = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> outbox = new ArrayBlockingQueue<>(OUTBOX_CAPACITY);
  private final AtomicLong unsent = new AtomicLong();
  private final Outage outage;
  private final Thread publisher;
  private final Thread listener;
  private volatile JedisPubSub subscription;
  private volatile boolean listening;
  private volatile boolean closed;

  private RedisEventBus(Builder b) {
    this.connection = b.connect();
    this.jedis = connection.jedis();
    this.channel = connection.key("events", "");
    this.outage =
        new Outage(
            RedisEventBus.class,
            "event bus " + connection.keyPrefix(),
            "events reach this node only (other nodes see cancels at their heartbeat)",
            connection::discardIdle);
    this.publisher = new Thread(this::sendLoop, "orchestrator-events-out-" + channel);
    this.listener = new Thread(this::listenLoop, "orchestrator-events-in-" + channel);
    publisher.setDaemon(true);
    listener.setDaemon(true);
    publisher.start();
    listener.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A bus on a new client for {@code url} ({@code redis://host:port}), closed with the bus. */
  public static RedisEventBus connect(String url) {
    return builder().url(url).build();
  }

  /** True while this bus is subscribed to the channel, so it hears other nodes' events. */
  public boolean isListening() {
    return listening;
  }

  @Override
  public void publish(TaskEvent event) {
    deliver(event);
    if (closed) {
      return;
    }
    String message;
    try {
      message = source + JSON.writeValueAsString(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode " + event, e);
    }
    if (!outbox.offer(message)) {
      unsent.incrementAndGet();
    }
  }

  @Override
  public AutoCloseable subscribe(Consumer<TaskEvent> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  /** Stops both threads; closes the client if the bus built it. */
  @Override
  public void close() {
    closed = true;
    publisher.interrupt();
    unsubscribe();
    listener.interrupt();
    try {
      publisher.join(TimeUnit.SECONDS.toMillis(5));
      listener.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connection.closeIfOwned();
  }

  private void deliver(TaskEvent event) {
    for (Consumer<TaskEvent> s : subscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        log.warn("event subscriber failed on {}", event, e);
      }
    }
  }

  /** The publisher thread: sends queued events in pipelined batches, in publishing order. */
  private void sendLoop() {
    List<String> batch = new ArrayList<>(PIPELINE_MAX);
    while (!closed) {
      try {
        String first = outbox.poll(Connecting.MAX_BLOCK_MILLIS, TimeUnit.MILLISECONDS);
        if (first == null) {
          keepAlive(); // keeps a quiet subscription within its socket timeout, and tests it
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        break;
      }
      outbox.drainTo(batch, PIPELINE_MAX - 1);
      if (outage.mayTry()) {
        try (AbstractPipeline pipeline = jedis.pipelined()) {
          for (String message : batch) {
            pipeline.publish(channel, message);
          }
          pipeline.sync();
          outage.succeeded();
        } catch (JedisException e) {
          outage.failed(e);
          unsent.addAndGet(batch.size());
        }
      } else {
        unsent.addAndGet(batch.size());
      }
      batch.clear();
      long dropped = unsent.getAndSet(0);
      if (dropped > 0) {
        log.debug("{} events reached this node only", dropped);
      }
    }
  }

  /** The listener thread: subscribes, relays other nodes' events, resubscribes after a failure. */
  private void listenLoop() {
    while (!closed) {
      JedisPubSub pubSub = new Relay();
      subscription = pubSub;
      try {
        jedis.subscribe(pubSub, channel); // returns once unsubscribed
      } catch (JedisException e) {
        if (!closed) {
          outage.failed(e);
        }
      } finally {
        listening = false;
      }
      long backoff = outage.backoffNanos();
      if (!closed && backoff > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(backoff);
        } catch (InterruptedException e) {
          break;
        }
      }
    }
  }

  /** Publishes this bus's source alone: every subscription hears it, and every bus ignores it. */
  private void keepAlive() {
    JedisPubSub s = subscription;
    if (s != null && s.isSubscribed()) {
      try {
        jedis.publish(channel, source);
      } catch (JedisException e) {
        // the listener fails on the same outage and resubscribes
      }
    }
  }

  private void unsubscribe() {
    JedisPubSub s = subscription;
    if (s != null && s.isSubscribed()) {
      try {
        s.unsubscribe();
      } catch (JedisException e) {
        log.debug("unsubscribe failed", e);
      }
    }
  }

  /** Relays messages of other buses to this bus's subscribers. */
  private final class Relay extends JedisPubSub {
    @Override
    public void onSubscribe(String subscribed, int count) {
      listening = true;
      outage.succeeded();
      if (closed) {
        unsubscribe();
      }
    }

    @Override
    public void onMessage(String from, String message) {
      if (message.length() == source.length()) {
        return; // a bus keeping its subscription alive
      }
      if (message.startsWith(source)) {
        return; // this node's own event, delivered when it was published
      }
      TaskEvent event;
      try {
        event = JSON.readValue(message.substring(source.length()), TaskEvent.class);
      } catch (IOException | RuntimeException e) {
        log.warn("ignoring an event that cannot be read: {}", message, e);
        return;
      }
      deliver(event);
    }
  }

  private static ObjectMapper mapper() {
    SimpleModule instants = new SimpleModule("instants");
    instants.addSerializer(Instant.class, ToStringSerializer.instance);
    instants.addDeserializer(
        Instant.class,
        new StdDeserializer<Instant>(Instant.class) {
          @Override
          public Instant deserialize(JsonParser p, DeserializationContext c) throws IOException {
            return Instant.parse(p.getValueAsString());
          }
        });
    return new ObjectMapper()
        .registerModule(instants)
        .setVisibility(PropertyAccessor.IS_GETTER, Visibility.NONE)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  }

  /** Configures a bus: the client ({@link #jedis} or {@link #url}) and the key prefix. */
  public static final class Builder extends Connecting<Builder> {
    private Builder() {}

    /** Subscribes and starts the bus's two threads. */
    public RedisEventBus build() {
      return new RedisEventBus(this);
    }
  }
}

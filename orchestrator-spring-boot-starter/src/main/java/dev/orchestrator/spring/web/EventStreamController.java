package dev.orchestrator.spring.web;

import dev.orchestrator.FeedEntry;
import dev.orchestrator.FeedPage;
import dev.orchestrator.FeedQuery;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.TaskNotFoundException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /events}: task events as server-sent events, read from the store's feed, so every
 * node's events reach every client. Each event's id is its feed position: a client that reconnects
 * with {@code Last-Event-ID} (browsers do it on their own) gets every event after it, once, and
 * misses none. Without one the stream starts at the newest event ({@code ?after=} starts it
 * elsewhere). {@code ?taskId=} or {@code ?rootId=} narrow it to a task or a chain; a request's
 * owner sees only its own tasks' events.
 */
@RestController
@RequestMapping(path = "${orchestrator.web.base-path:/orchestrator/api}")
public class EventStreamController implements SmartLifecycle, DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(EventStreamController.class);

  /** The longest a client waits for an event made where this node's event bus does not reach. */
  static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

  /** How often a quiet stream sends a comment, so proxies keep it open and dead ones are seen. */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final Orchestrator orchestrator;
  private final OwnerResolver owners;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService pump;
  private final AtomicBoolean wakeUpPending = new AtomicBoolean();
  private final AutoCloseable listener;
  private volatile boolean running;

  public EventStreamController(Orchestrator orchestrator, OwnerResolver owners) {
    this.orchestrator = orchestrator;
    this.owners = owners;
    this.pump =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "orchestrator-sse");
              t.setDaemon(true);
              return t;
            });
    pump.scheduleWithFixedDelay(
        this::pollAll, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    // an event on this node's bus: its row is in the store, so read the feed now
    this.listener = orchestrator.addListener(e -> wakeUp());
  }

  @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events(
      HttpServletRequest request,
      @RequestParam(required = false) UUID taskId,
      @RequestParam(required = false) UUID rootId,
      @RequestParam(required = false) String after,
      @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
    String owner = owners.resolve(request);
    OwnerScope scope = owner == null ? orchestrator.everyOwner() : orchestrator.forOwner(owner);
    if (taskId != null && scope.get(taskId).isEmpty()) {
      throw new TaskNotFoundException(taskId);
    }
    String from =
        lastEventId != null && !lastEventId.isBlank()
            ? lastEventId.strip()
            : after != null ? after : orchestrator.feedHead();
    FeedQuery query = new FeedQuery(from, taskId, rootId, owner, FeedQuery.DEFAULT_LIMIT);
    scope.feed(query.limit(1)); // a position from elsewhere fails here, as a 400, not in the stream
    Subscription s = new Subscription(new SseEmitter(0L), scope, query);
    try {
      // the response starts at once, so a client knows it is connected before the first event
      s.emitter.send(SseEmitter.event().comment("connected").reconnectTime(3000));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the stream could not start", e);
    }
    s.emitter.onCompletion(() -> subscriptions.remove(s));
    s.emitter.onTimeout(() -> subscriptions.remove(s));
    s.emitter.onError(e -> subscriptions.remove(s));
    subscriptions.add(s);
    pump.execute(s::poll);
    return s.emitter;
  }

  /** Streams open now (for tests and metrics). */
  int openStreams() {
    return subscriptions.size();
  }

  private void wakeUp() {
    if (wakeUpPending.compareAndSet(false, true)) {
      pump.execute(
          () -> {
            wakeUpPending.set(false);
            pollAll();
          });
    }
  }

  private void pollAll() {
    for (Subscription s : subscriptions) {
      s.poll();
    }
  }

  @Override
  public void start() {
    running = true;
  }

  /**
   * Ends every stream before the web server's graceful shutdown, which would otherwise wait for
   * these never-ending responses; clients reconnect elsewhere with their Last-Event-ID.
   */
  @Override
  public void stop() {
    running = false;
    subscriptions.forEach(s -> s.emitter.complete());
    subscriptions.clear();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Stops before the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) begins. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 512;
  }

  @Override
  public void destroy() throws Exception {
    stop();
    listener.close();
    pump.shutdownNow();
  }

  /** One client's stream and where it stands in the feed. */
  private final class Subscription {
    final SseEmitter emitter;
    final OwnerScope scope;
    FeedQuery query;
    long lastSentNanos = System.nanoTime();

    Subscription(SseEmitter emitter, OwnerScope scope, FeedQuery query) {
      this.emitter = emitter;
      this.scope = scope;
      this.query = query;
    }

    /** Sends what the feed holds after the stream's position (on the pump thread). */
    void poll() {
      try {
        FeedPage page;
        do {
          page = scope.feed(query);
          for (FeedEntry entry : page.entries()) {
            emitter.send(
                SseEmitter.event()
                    .id(entry.position())
                    .name("task")
                    .data(ApiJson.write(entry.event()), MediaType.APPLICATION_JSON));
            lastSentNanos = System.nanoTime();
          }
          query = query.from(page.position());
        } while (page.entries().size() == query.limit());
        if (System.nanoTime() - lastSentNanos > KEEP_ALIVE.toNanos()) {
          emitter.send(SseEmitter.event().comment("keep-alive"));
          lastSentNanos = System.nanoTime();
        }
      } catch (IOException | IllegalStateException e) {
        // the client went away
        subscriptions.remove(this);
        emitter.completeWithError(e);
      } catch (RuntimeException e) {
        log.warn("reading the event feed failed; the stream tries again", e);
      }
    }
  }
}

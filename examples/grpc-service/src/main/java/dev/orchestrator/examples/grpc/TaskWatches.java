package dev.orchestrator.examples.grpc;

import dev.orchestrator.FeedEntry;
import dev.orchestrator.FeedPage;
import dev.orchestrator.FeedQuery;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The running WatchTasks streams. Each tails the event feed on a thread of its own: it reads a page
 * after its position, sends it (as fast as the caller reads: it waits while the stream is not
 * ready), and when the feed has nothing new it waits until the orchestrator hears an event, or at
 * most {@link #POLL} (events that other nodes write reach it that way too). A stream ends when the
 * caller cancels or its deadline passes; the thread then stops.
 */
final class TaskWatches implements AutoCloseable {
  /** Longest wait before the feed is read again when no event was heard. */
  static final Duration POLL = Duration.ofMillis(500);

  /** Most events sent from one read of the feed. */
  static final int PAGE = 200;

  private static final Logger log = LoggerFactory.getLogger(TaskWatches.class);

  private final ExecutorService threads;
  private final AtomicInteger active = new AtomicInteger();
  private final Object heard = new Object();
  private long events;
  private final AutoCloseable subscription;

  TaskWatches(Orchestrator orchestrator) {
    AtomicInteger n = new AtomicInteger();
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "grpc-watch-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    subscription = orchestrator.addListener(e -> wake());
  }

  /** Streams running now. */
  int active() {
    return active.get();
  }

  private void wake() {
    synchronized (heard) {
      events++;
      heard.notifyAll();
    }
  }

  private long heardSoFar() {
    synchronized (heard) {
      return events;
    }
  }

  /** Waits until an event is heard after {@code seen}, the stream is ready, or the poll passes. */
  private void await(long seen) throws InterruptedException {
    long end = System.nanoTime() + POLL.toNanos();
    synchronized (heard) {
      long left;
      while (events == seen && (left = end - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(heard, left);
      }
    }
  }

  void start(
      OwnerScope scope,
      FeedQuery query,
      ServerCallStreamObserver<WatchTasksResponse> stream,
      String requestId) {
    java.util.concurrent.atomic.AtomicBoolean over =
        new java.util.concurrent.atomic.AtomicBoolean();
    stream.setOnCancelHandler(
        () -> {
          over.set(true);
          wake();
        });
    stream.setOnReadyHandler(this::wake);
    // the call's context ends at its deadline (see RequestMetadata)
    Context.current()
        .addListener(
            c -> {
              over.set(true);
              wake();
            },
            Runnable::run);
    active.incrementAndGet();
    threads.execute(
        () -> {
          try (MDC.MDCCloseable ignored =
              MDC.putCloseable(RequestMetadata.MDC_REQUEST_ID, requestId)) {
            tail(scope, query.limit(PAGE), stream, over);
          } finally {
            active.decrementAndGet();
          }
        });
  }

  private void tail(
      OwnerScope scope,
      FeedQuery query,
      ServerCallStreamObserver<WatchTasksResponse> stream,
      java.util.concurrent.atomic.AtomicBoolean over) {
    String position = query.after();
    try {
      while (!over.get() && !stream.isCancelled()) {
        long seen = heardSoFar();
        if (!stream.isReady()) {
          await(seen);
          continue;
        }
        FeedPage page = scope.feed(query.from(position));
        for (FeedEntry entry : page.entries()) {
          stream.onNext(
              WatchTasksResponse.newBuilder()
                  .setSequence(entry.position())
                  .setEvent(Protos.event(entry.event()))
                  .build());
          position = entry.position();
        }
        if (page.entries().size() < PAGE) {
          await(seen);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (over.get() || stream.isCancelled()) {
        return; // the caller left while an event was sent
      }
      log.debug("watch ends with an error", e);
      try {
        stream.onError(GrpcErrors.exception(e, MDC.get(RequestMetadata.MDC_REQUEST_ID)));
      } catch (RuntimeException ignored) {
        // the stream ended meanwhile
      }
    }
  }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      log.warn("could not remove the watch listener", e);
    }
    threads.shutdownNow();
  }
}

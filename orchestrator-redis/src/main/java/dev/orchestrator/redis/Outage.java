package dev.orchestrator.redis;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis answers one component, and when to try it again while it does not: calls stop
 * reaching Redis at the first failure, then try again after a backoff that doubles up to {@link
 * #MAX_BACKOFF}. Logs one WARN when an outage begins and one INFO when it ends, never one per call.
 * Thread-safe.
 */
final class Outage {
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  private final Logger log;
  private final String component;
  private final String meanwhile;
  private final Runnable onFailure;
  private volatile boolean down;
  private long since;
  private long backoff;
  private long nextTry;

  /**
   * @param owner the component's class, whose logger reports the outage
   * @param component what is cut off, for the log ("task queue orch:")
   * @param meanwhile what the component does while Redis is down, for the log
   * @param onFailure run after each failure (drops the pool's idle connections, which a restarted
   *     server has closed, so the next try opens a new one instead of failing on a stale one)
   */
  Outage(Class<?> owner, String component, String meanwhile, Runnable onFailure) {
    this.log = LoggerFactory.getLogger(owner);
    this.component = component;
    this.meanwhile = meanwhile;
    this.onFailure = onFailure;
  }

  /** True while Redis is believed up, or when the backoff of an outage allows another try. */
  boolean mayTry() {
    if (!down) {
      return true;
    }
    synchronized (this) {
      return !down || System.nanoTime() - nextTry >= 0;
    }
  }

  /** False from a failure until the next call that succeeds. */
  boolean isUp() {
    return !down;
  }

  /** Time to wait before the next try; zero while Redis is up. */
  synchronized long backoffNanos() {
    return down ? Math.max(0, nextTry - System.nanoTime()) : 0;
  }

  /** A call failed: the outage begins (logged) or goes on (backoff doubles). */
  void failed(RuntimeException cause) {
    record(cause);
    onFailure.run();
  }

  private synchronized void record(RuntimeException cause) {
    long now = System.nanoTime();
    if (!down) {
      down = true;
      since = now;
      backoff = FIRST_BACKOFF.toNanos();
      log.warn(
          "Redis is unreachable for the {} ({}); {} until it is back", component, cause, meanwhile);
    } else {
      backoff = Math.min(2 * backoff, MAX_BACKOFF.toNanos());
    }
    nextTry = now + backoff;
  }

  /**
   * A call succeeded.
   *
   * @return true when this ends an outage
   */
  boolean succeeded() {
    if (!down) {
      return false;
    }
    synchronized (this) {
      if (!down) {
        return false;
      }
      down = false;
      log.info(
          "Redis is back for the {} after {} ms",
          component,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
      return true;
    }
  }
}

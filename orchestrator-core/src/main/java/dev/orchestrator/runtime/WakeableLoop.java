package dev.orchestrator.runtime;

import dev.orchestrator.spi.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's background thread that runs a step, then sleeps until the time the step returned, or
 * until {@link #wake} names an earlier one (work this node just planned). A step that throws is
 * logged and tried again after the idle time. The scheduler and the schedule loop are two.
 * Internal.
 */
abstract class WakeableLoop {
  private final Logger log = LoggerFactory.getLogger(getClass());
  private final String what;
  private final Clock clock;
  private final Duration retryAfter;
  private final Thread thread;
  private final Object monitor = new Object();
  private Instant wakeAt = Instant.MIN;
  private volatile boolean running = true;

  /**
   * @param threadName the thread's name
   * @param what the step, for the log ("scheduler step")
   * @param clock the clock the step's times are on
   * @param retryAfter how long to wait after a step that threw
   */
  WakeableLoop(String threadName, String what, Clock clock, Duration retryAfter) {
    this.what = what;
    this.clock = clock;
    this.retryAfter = retryAfter;
    this.thread = new Thread(this::loop, threadName);
    this.thread.setDaemon(true);
  }

  /**
   * Does one round of work.
   *
   * @return when to do the next
   */
  abstract Instant step();

  /** False once {@link #stop} was called: a long step should end early. */
  final boolean running() {
    return running;
  }

  final void start() {
    thread.start();
  }

  final void stop() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join();
  }

  /** Wakes the loop if {@code at} comes before its planned wake-up. */
  public final void wake(Instant at) {
    synchronized (monitor) {
      if (at.isBefore(wakeAt)) {
        wakeAt = at;
        monitor.notifyAll();
      }
    }
  }

  private void loop() {
    while (running) {
      try {
        Instant next = step();
        Instant now = clock.now();
        synchronized (monitor) {
          wakeAt = next;
          long waitMillis = Duration.between(now, next).toMillis();
          if (waitMillis > 0) {
            monitor.wait(waitMillis);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("{} failed; retrying in {}", what, retryAfter, e);
        try {
          Thread.sleep(Math.max(1, retryAfter.toMillis()));
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}

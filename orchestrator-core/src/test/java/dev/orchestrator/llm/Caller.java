package dev.orchestrator.llm;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A call made on a thread of its own, so that a test can interrupt it and see how it ended. */
final class Caller {
  /** The call to make. */
  interface Call {
    void run() throws Exception;
  }

  final Thread thread;
  private final CompletableFuture<Throwable> outcome = new CompletableFuture<>();

  private Caller(Call call) {
    thread =
        new Thread(
            () -> {
              try {
                call.run();
                outcome.complete(null);
              } catch (Throwable t) {
                outcome.complete(t);
              }
            },
            "caller");
  }

  /** Starts the call. */
  static Caller start(Call call) {
    Caller caller = new Caller(call);
    caller.thread.start();
    return caller;
  }

  /** What the call threw, or null when it returned; fails when it has not ended by the deadline. */
  Throwable thrown(Duration deadline) throws Exception {
    return outcome.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}

package dev.orchestrator.retry;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.TaskError;
import dev.orchestrator.llm.LlmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Decides how a handler's exception counts: its kind (retryable or not) and any Retry-After. */
@FunctionalInterface
public interface ErrorClassifier {

  /**
   * The default: an {@link LlmException} says for itself; {@link FatalTaskException} and {@link
   * InvalidTaskException} are fatal; time-outs are TIMEOUT; I/O trouble is TRANSIENT; anything else
   * is a retryable HANDLER_ERROR.
   */
  ErrorClassifier DEFAULT =
      error -> {
        if (error instanceof LlmException e) {
          return new Classification(e.kind(), message(e), e.retryAfter());
        }
        if (error instanceof FatalTaskException || error instanceof InvalidTaskException) {
          return new Classification(ErrorKind.FATAL, message(error), null);
        }
        if (error instanceof TimeoutException || error instanceof HttpTimeoutException) {
          return new Classification(ErrorKind.TIMEOUT, message(error), null);
        }
        if (error instanceof IOException || error instanceof UncheckedIOException) {
          return new Classification(ErrorKind.TRANSIENT, message(error), null);
        }
        return new Classification(ErrorKind.HANDLER_ERROR, message(error), null);
      };

  Classification classify(Throwable error);

  /** The message stored for an exception: its class and message. */
  static String message(Throwable error) {
    String m = error.getMessage();
    return error.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /**
   * The verdict on one failure.
   *
   * @param kind what went wrong; {@link ErrorKind#isRetryable()} decides
   * @param message for the task's error
   * @param retryAfter the provider's Retry-After, or null
   */
  record Classification(ErrorKind kind, String message, Duration retryAfter) {
    public TaskError toError() {
      return new TaskError(kind, message);
    }
  }
}

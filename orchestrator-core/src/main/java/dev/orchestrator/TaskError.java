package dev.orchestrator;

import java.util.Objects;

/** The error of a failed attempt or task: its kind and a message for humans. */
public record TaskError(ErrorKind kind, String message) {
  /** Longest message kept; longer ones are cut so one bad stack trace cannot bloat the store. */
  public static final int MAX_MESSAGE_LENGTH = 4000;

  public TaskError {
    Objects.requireNonNull(kind, "kind");
    message = message == null ? "" : Texts.storable(message);
    if (message.length() > MAX_MESSAGE_LENGTH) {
      message = message.substring(0, MAX_MESSAGE_LENGTH);
    }
  }
}

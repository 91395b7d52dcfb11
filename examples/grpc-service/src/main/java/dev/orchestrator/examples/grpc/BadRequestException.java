package dev.orchestrator.examples.grpc;

/**
 * A request the API refuses before it reaches the orchestrator: a malformed id, page token or
 * sequence, an enum value this server does not know. Answered INVALID_ARGUMENT with {@link
 * #reason()} as the ErrorInfo reason.
 */
final class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Reason of a malformed task id. */
  static final String BAD_ID = "BAD_ID";

  /** Reason of a page token that no ListTasks call gave. */
  static final String BAD_PAGE_TOKEN = "BAD_PAGE_TOKEN";

  /** Reason of an event sequence that no WatchTasks call gave. */
  static final String BAD_SEQUENCE = "BAD_SEQUENCE";

  /** Reason of an enum value this server does not know (or UNSPECIFIED where one is needed). */
  static final String BAD_ENUM = "BAD_ENUM";

  /** Reason of any other field out of its range. */
  static final String BAD_FIELD = "BAD_FIELD";

  /** Reason of a message that could not be parsed (e.g. a string that is not UTF-8). */
  static final String MALFORMED_MESSAGE = "MALFORMED_MESSAGE";

  private final String reason;

  BadRequestException(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}

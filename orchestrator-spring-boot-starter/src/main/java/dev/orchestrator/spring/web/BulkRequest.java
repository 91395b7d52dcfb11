package dev.orchestrator.spring.web;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The body of {@code POST /tasks/bulk}: one action on every task a filter matches, e.g. {@code
 * {"action": "retry", "filter": {"status": ["FAILED"], "type": "verify"}, "attempts": 2}}.
 *
 * @param action {@code cancel}, {@code retry}, {@code pause} or {@code resume}
 * @param filter which tasks, with the list's filters; {@code {}} is every task the request sees
 * @param attempts a retry's new attempt budget (default: the configured max attempts)
 * @param reason a cancel's reason, recorded on each task
 */
record BulkRequest(String action, Filter filter, Integer attempts, String reason) {

  /**
   * The filters of {@code GET /tasks}, as fields.
   *
   * @param status one status or an array of them (none: every status)
   * @param label {@code key} or {@code key=value}
   * @param owner only this owner's tasks (a request scoped to an owner sees only its own)
   * @param text case-insensitive substring of the name or the prompt
   */
  record Filter(
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> status,
      String type,
      String label,
      UUID root,
      UUID parent,
      String owner,
      String text) {}

  /** The actions, each one call of the owner scope. */
  enum Action {
    CANCEL,
    RETRY,
    PAUSE,
    RESUME;

    static Action of(String name) {
      if (name != null) {
        for (Action a : values()) {
          if (a.name().equals(name.strip().toUpperCase(Locale.ROOT))) {
            return a;
          }
        }
      }
      throw ApiProblem.badRequest(
          (name == null ? "no action" : "unknown action '" + name + "'")
              + "; one of "
              + List.of(values()).stream().map(a -> a.name().toLowerCase(Locale.ROOT)).toList());
    }
  }
}

package dev.orchestrator.pipeline;

import java.util.List;

/**
 * What a verifier concluded about a run's result.
 *
 * @param passed whether the result may be returned
 * @param findings what is wrong (or, when passed, any remarks)
 */
public record Verdict(boolean passed, List<String> findings) {
  public Verdict {
    findings = findings == null ? List.of() : List.copyOf(findings);
  }

  public static Verdict pass() {
    return new Verdict(true, List.of());
  }

  public static Verdict fail(List<String> findings) {
    return new Verdict(false, findings);
  }
}

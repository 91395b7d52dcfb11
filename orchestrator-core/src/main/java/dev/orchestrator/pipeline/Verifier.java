package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.llm.LlmRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Gates a run's result: it passes, or the run is re-planned with the findings (a bounded number of
 * times), or it fails with them. Combine the structural checks with a model's judgement with {@link
 * #allOf}.
 */
@FunctionalInterface
public interface Verifier {
  Verdict verify(RunOutcome outcome, Stage stage) throws Exception;

  /** Every step produced an output (none failed), and the final output is not blank. */
  static Verifier structural() {
    return (outcome, stage) -> {
      List<String> findings = new ArrayList<>();
      for (StepResult s : outcome.steps()) {
        if (!s.succeeded()) {
          findings.add("step " + s.step() + " produced no output: " + s.error());
        }
      }
      if (outcome.finalOutput() == null || outcome.finalOutput().isBlank()) {
        findings.add("the final output is empty");
      }
      return findings.isEmpty() ? Verdict.pass() : Verdict.fail(findings);
    };
  }

  /**
   * Passes when the final output contains each of these texts (ignoring case): a deterministic
   * quality gate ("the update names its risks").
   */
  static Verifier mentions(String... required) {
    return (outcome, stage) -> {
      List<String> findings = new ArrayList<>();
      String text = outcome.finalOutput() == null ? "" : outcome.finalOutput().toLowerCase();
      for (String r : required) {
        if (!text.contains(r.toLowerCase())) {
          findings.add("the final output does not mention '" + r + "'");
        }
      }
      return findings.isEmpty() ? Verdict.pass() : Verdict.fail(findings);
    };
  }

  /**
   * Asks the model whether the final output meets the criteria; it must answer with JSON {@code
   * {"pass": true|false, "findings": ["..."]}} (an answer that is not is a failed check, with the
   * answer as its finding).
   */
  static Verifier llmJudge(String criteria) {
    return (outcome, stage) -> {
      String prompt =
          "Judge whether this result meets the criteria. Answer only with JSON"
              + " {\"pass\": true|false, \"findings\": [\"...\"]}.\nCriteria: "
              + criteria
              + "\nGoal: "
              + outcome.goal()
              + "\nResult:\n"
              + outcome.finalOutput();
      String answer = stage.callLlm(LlmRequest.of(stage.model(), prompt)).text();
      JsonNode node = Json.firstObject(answer);
      if (node == null || !node.path("pass").isBoolean()) {
        return Verdict.fail(List.of("the judge's answer is not a verdict: " + answer));
      }
      List<String> findings = new ArrayList<>();
      node.path("findings").forEach(f -> findings.add(f.asText()));
      return new Verdict(node.path("pass").asBoolean(), findings);
    };
  }

  /** Passes when every verifier passes; the findings of all of them, in order. */
  static Verifier allOf(Verifier... verifiers) {
    return (outcome, stage) -> {
      List<String> findings = new ArrayList<>();
      boolean passed = true;
      for (Verifier v : verifiers) {
        Verdict verdict = v.verify(outcome, stage);
        passed &= verdict.passed();
        findings.addAll(verdict.findings());
      }
      return new Verdict(passed, findings);
    };
  }
}

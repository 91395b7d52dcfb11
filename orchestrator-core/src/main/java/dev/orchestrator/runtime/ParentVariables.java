package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.template.PromptTemplate;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The template variables a task's parents supply: {@code parent.output|prompt|name} for the first
 * parent and {@code parents.NAME.output|prompt} for each named parent. Internal.
 */
public final class ParentVariables {
  private ParentVariables() {}

  /** True for the names parents fill in; such placeholders survive rendering at submit time. */
  public static final Predicate<String> IS_PARENT_VARIABLE =
      name -> name.startsWith("parent.") || name.startsWith("parents.");

  /** The variables of these parents. */
  public static Map<String, String> of(List<Task> parents) {
    Map<String, String> vars = new HashMap<>();
    if (!parents.isEmpty()) {
      Task first = parents.get(0);
      put(vars, "parent.", first);
    }
    for (Task p : parents) {
      if (p.name() != null) {
        put(vars, "parents." + p.name() + ".", p);
      }
      put(vars, "parents." + p.id() + ".", p);
    }
    return vars;
  }

  private static void put(Map<String, String> vars, String prefix, Task p) {
    vars.put(prefix + "output", p.output() == null ? "" : p.output());
    vars.put(prefix + "prompt", p.prompt() == null ? "" : p.prompt());
    vars.put(prefix + "name", p.name() == null ? "" : p.name());
  }

  /**
   * The placeholders of a continuation's prompt (its own variables already filled in) that these
   * (possibly not yet finished) parents cannot supply when it runs: a misspelt parent name, or a
   * variable the spec did not give.
   */
  public static List<String> unknown(String prompt, Collection<Task> parents) {
    Map<String, String> known = of(List.copyOf(parents));
    return PromptTemplate.of(prompt).variables().stream()
        .filter(v -> !known.containsKey(v))
        .toList();
  }

  /** The task's prompt with its parents' variables filled in (the prompt as is without parents). */
  static String render(Task task, List<Task> parents) {
    if (task.prompt() == null) {
      return parents.isEmpty() || parents.get(0).output() == null ? "" : parents.get(0).output();
    }
    if (parents.isEmpty()) {
      return task.prompt();
    }
    return PromptTemplate.of(task.prompt()).render(of(parents), name -> false);
  }
}

package dev.orchestrator.template;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A prompt with {@code {{variable}}} placeholders. Names are letters, digits, {@code _ - .}; spaces
 * inside the braces are ignored. There is no escaping and no logic: a template is text with holes.
 */
public final class PromptTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.\\-]+)\\s*}}");

  private final String text;
  private final List<String> variables;

  private PromptTemplate(String text) {
    this.text = text;
    List<String> names = new ArrayList<>();
    if (text.contains("{{")) { // most prompts hold no placeholder: skip the scan
      Matcher m = PLACEHOLDER.matcher(text);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    this.variables = List.copyOf(new LinkedHashSet<>(names));
  }

  public static PromptTemplate of(String text) {
    return new PromptTemplate(text);
  }

  /** Renders a template once, every placeholder required. */
  public static String render(String text, Map<String, String> values) {
    return of(text).render(values, name -> false);
  }

  public String text() {
    return text;
  }

  /** The distinct placeholder names, in order of first use. */
  public List<String> variables() {
    return variables;
  }

  /**
   * Fills the placeholders.
   *
   * @param values the variables
   * @param deferred names left as they are when they have no value (filled later, e.g. a parent's
   *     output when the task runs)
   * @throws InvalidTaskException MISSING_VARIABLE naming every placeholder without a value
   */
  public String render(Map<String, String> values, Predicate<String> deferred) {
    Set<String> missing = new LinkedHashSet<>();
    for (String name : variables) {
      if (!values.containsKey(name) && !deferred.test(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new InvalidTaskException(
          Problem.MISSING_VARIABLE, "no value for template variable(s) " + missing);
    }
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String value = values.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }
}

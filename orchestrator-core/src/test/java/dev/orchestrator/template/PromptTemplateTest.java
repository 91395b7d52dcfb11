package dev.orchestrator.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.InvalidTaskException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {
  @Test
  void fillsEveryPlaceholderIncludingRepeatsAndSpaces() {
    String out =
        PromptTemplate.render("{{a}} and {{ b }} and {{a}}", Map.of("a", "1", "b", "$2\\"));
    assertEquals("1 and $2\\ and 1", out);
    assertEquals(List.of("a", "b"), PromptTemplate.of("{{a}} {{ b }} {{a}}").variables());
  }

  @Test
  void namesEveryMissingVariable() {
    InvalidTaskException e =
        assertThrows(
            InvalidTaskException.class,
            () -> PromptTemplate.render("{{x}} {{y}} {{z}}", Map.of("y", "")));
    assertEquals(InvalidTaskException.Problem.MISSING_VARIABLE, e.problem());
    assertTrue(e.getMessage().contains("[x, z]"), e.getMessage());
  }

  @Test
  void deferredNamesSurviveForLater() {
    String out =
        PromptTemplate.of("{{who}}: {{parent.output}}")
            .render(Map.of("who", "Ada"), n -> n.startsWith("parent."));
    assertEquals("Ada: {{parent.output}}", out);
  }

  @Test
  void textWithoutPlaceholdersIsUnchanged() {
    assertEquals("{ {not} } {{}}", PromptTemplate.render("{ {not} } {{}}", Map.of()));
  }
}

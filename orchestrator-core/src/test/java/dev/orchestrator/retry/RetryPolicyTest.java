package dev.orchestrator.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.llm.LlmException;
import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy policy =
      new RetryPolicy(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(30));

  @Test
  void ceilingGrowsExponentiallyUpToTheMaximum() {
    assertEquals(Duration.ofSeconds(1), policy.ceiling(1));
    assertEquals(Duration.ofSeconds(2), policy.ceiling(2));
    assertEquals(Duration.ofSeconds(16), policy.ceiling(5));
    assertEquals(Duration.ofSeconds(30), policy.ceiling(6));
    assertEquals(Duration.ofSeconds(30), policy.ceiling(1000));
  }

  @Test
  void fullJitterSpreadsDelaysOverTheWholeRange() {
    SplittableRandom random = new SplittableRandom(42);
    long below = 0;
    long above = 0;
    for (int i = 0; i < 10_000; i++) {
      Duration d = policy.delay(4, null, random);
      assertTrue(!d.isNegative() && d.compareTo(Duration.ofSeconds(8)) <= 0, d.toString());
      if (d.compareTo(Duration.ofSeconds(2)) < 0) below++;
      if (d.compareTo(Duration.ofSeconds(6)) > 0) above++;
    }
    // uniform on [0, 8 s]: a quarter of the draws in each outer quarter, give or take
    assertTrue(below > 2000 && below < 3000, "low quarter " + below);
    assertTrue(above > 2000 && above < 3000, "high quarter " + above);
  }

  @Test
  void retryAfterWinsButNeverExceedsTheMaximum() {
    SplittableRandom random = new SplittableRandom(1);
    assertEquals(Duration.ofSeconds(7), policy.delay(1, Duration.ofSeconds(7), random));
    assertEquals(Duration.ofSeconds(30), policy.delay(1, Duration.ofMinutes(10), random));
  }

  @Test
  void badPoliciesAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(-1), 2, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(5), 2, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(1), Double.NaN, Duration.ofSeconds(1)));
  }

  @Test
  void theDefaultClassifierSortsRetryableFromFatal() {
    ErrorClassifier c = ErrorClassifier.DEFAULT;
    assertEquals(
        ErrorKind.RATE_LIMITED,
        c.classify(new LlmException(ErrorKind.RATE_LIMITED, "429", Duration.ofSeconds(3), null))
            .kind());
    assertEquals(
        Duration.ofSeconds(3),
        c.classify(new LlmException(ErrorKind.RATE_LIMITED, "429", Duration.ofSeconds(3), null))
            .retryAfter());
    assertEquals(
        ErrorKind.AUTHENTICATION,
        c.classify(new LlmException(ErrorKind.AUTHENTICATION, "401")).kind());
    assertEquals(ErrorKind.FATAL, c.classify(new FatalTaskException("bug")).kind());
    assertEquals(
        ErrorKind.FATAL,
        c.classify(new InvalidTaskException(InvalidTaskException.Problem.MISSING_VARIABLE, "x"))
            .kind());
    assertEquals(ErrorKind.TIMEOUT, c.classify(new TimeoutException()).kind());
    assertEquals(ErrorKind.TRANSIENT, c.classify(new IOException("reset")).kind());
    assertEquals(ErrorKind.HANDLER_ERROR, c.classify(new IllegalStateException("oops")).kind());
    assertTrue(ErrorKind.HANDLER_ERROR.isRetryable());
    assertTrue(!ErrorKind.CONTENT_REFUSED.isRetryable());
  }
}

package dev.orchestrator.runtime;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.Usage;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.llm.PriceTable;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.TaskContext;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The {@link TaskContext} of one attempt: counts the tokens its LLM calls spend. */
final class AttemptContext implements TaskContext {
  /** Rate-limit waits shorter than this are not worth an event. */
  private static final Duration NOTABLE_WAIT = Duration.ofMillis(5);

  private final TaskRun run;
  private final List<Task> parents;
  private final String prompt;
  private final Transitioner transitioner;
  private final LlmClient llm;
  private final RateLimiter rateLimiter;
  private final PriceTable prices;
  private final MetricsRecorder metrics;
  private final TaskFactory factory;
  private final List<Task> spawned = new java.util.ArrayList<>();
  private Usage usage = Usage.NONE;
  private String model;

  AttemptContext(
      TaskRun run,
      List<Task> parents,
      Transitioner transitioner,
      LlmClient llm,
      RateLimiter rateLimiter,
      PriceTable prices,
      MetricsRecorder metrics,
      TaskFactory factory) {
    this.run = run;
    this.factory = factory;
    this.parents = parents;
    this.prompt = ParentVariables.render(run.task(), parents);
    this.transitioner = transitioner;
    this.llm = llm;
    this.rateLimiter = rateLimiter;
    this.prices = prices;
    this.metrics = metrics;
  }

  @Override
  public Task task() {
    return run.task();
  }

  @Override
  public String prompt() {
    return prompt;
  }

  @Override
  public List<Task> parents() {
    return parents;
  }

  @Override
  public synchronized Task spawn(TaskSpec spec) {
    Task self = run.task();
    List<Task> parents = new java.util.ArrayList<>();
    parents.add(self);
    for (java.util.UUID id : spec.dependsOn()) {
      Task parent =
          spawned.stream()
              .filter(t -> t.id().equals(id))
              .findFirst()
              .or(() -> transitioner.store().get(id))
              .filter(p -> p.owner().equals(self.owner()))
              .orElseThrow(
                  () ->
                      new InvalidTaskException(
                          InvalidTaskException.Problem.UNKNOWN_PARENT, "no parent task " + id));
      if (!parent.id().equals(self.id())) {
        parents.add(parent);
      }
    }
    factory.checkBatch(spawned.size() + 1); // an attempt's children are one batch
    Task child = factory.create(spec, parents, false, self.owner(), transitioner.clock().now());
    spawned.add(child);
    return child;
  }

  /** The tasks spawned so far, to be written with the attempt's completion. */
  synchronized List<Task> spawned() {
    return List.copyOf(spawned);
  }

  @Override
  public Optional<String> signal(String name) {
    return transitioner
        .store()
        .signal(run.task().rootId(), java.util.Objects.requireNonNull(name, "signal name"));
  }

  @Override
  public boolean isCancelled() {
    return run.isStopped() || Thread.currentThread().isInterrupted();
  }

  @Override
  public void checkCancelled() throws InterruptedException {
    if (isCancelled()) {
      throw new InterruptedException("attempt stopped");
    }
  }

  @Override
  public void progress(double fraction, String message) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("progress is a fraction from 0 to 1: " + fraction);
    }
    transitioner.note(
        run.task(),
        String.format(
            Locale.ROOT,
            "progress %.0f%%%s",
            fraction * 100,
            message == null ? "" : ": " + message));
  }

  @Override
  public LlmResponse callLlm(LlmRequest request) throws LlmException, InterruptedException {
    return call(request, llm::call);
  }

  @Override
  public LlmResponse streamLlm(LlmRequest request) throws LlmException, InterruptedException {
    StringBuilder unsent = new StringBuilder();
    long[] lastNote = {System.nanoTime()};
    LlmResponse response =
        call(
            request,
            r ->
                llm.stream(
                    r,
                    piece -> {
                      unsent.append(piece);
                      if (System.nanoTime() - lastNote[0] >= STREAM_NOTE_INTERVAL.toNanos()) {
                        transitioner.note(run.task(), "output: " + unsent);
                        unsent.setLength(0);
                        lastNote[0] = System.nanoTime();
                      }
                    }));
    if (unsent.length() > 0) {
      transitioner.note(run.task(), "output: " + unsent);
    }
    return response;
  }

  /** One LLM call, made one way or another. */
  @FunctionalInterface
  private interface Call {
    LlmResponse make(LlmRequest request) throws LlmException, InterruptedException;
  }

  private LlmResponse call(LlmRequest request, Call how) throws LlmException, InterruptedException {
    String requested = request.model();
    long estimate =
        request.estimatedInputTokens()
            + (request.maxOutputTokens() == null ? 0 : request.maxOutputTokens());
    Duration waited = rateLimiter.acquire(requested, run.task().owner(), estimate);
    metrics.rateLimitWait(requested, waited);
    if (waited.compareTo(NOTABLE_WAIT) >= 0) {
      transitioner.note(
          run.task(),
          "waited " + waited.toMillis() + " ms for the rate limit of model " + requested);
    }
    LlmResponse response;
    try {
      response = how.make(request);
    } catch (LlmException e) {
      if (e.spent() != null) {
        account(e.spent(), requested);
        settle(requested, estimate, e.spent());
      }
      throw e;
    }
    account(response, requested);
    settle(requested, estimate, response);
    return response;
  }

  /** Gives the limiter the call's real token count in place of its estimate. */
  private void settle(String requested, long estimate, LlmResponse spent) {
    try {
      rateLimiter.settle(requested, estimate, spent.inputTokens() + spent.outputTokens());
    } catch (RuntimeException e) {
      // the limit is a guard, never a reason to lose the call's result
      org.slf4j.LoggerFactory.getLogger(AttemptContext.class)
          .debug("rate limiter could not settle a call to {}", requested, e);
    }
  }

  /** Adds what a call spent to the attempt's usage, priced by the model that answered. */
  private void account(LlmResponse response, String requested) {
    String answered = response.model() != null ? response.model() : requested;
    Usage spent = prices.usage(answered, response.inputTokens(), response.outputTokens());
    metrics.usage(answered, run.task().owner(), spent);
    synchronized (this) {
      usage = usage.plus(spent);
      model = answered;
    }
  }

  synchronized Usage usage() {
    return usage;
  }

  synchronized String model() {
    return model;
  }
}

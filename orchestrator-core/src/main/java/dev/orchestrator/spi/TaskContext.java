package dev.orchestrator.spi;

import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import java.util.List;
import java.util.Optional;

/** What a handler sees of the attempt it runs. */
public interface TaskContext {
  /** Longest time between two notes of a streamed call's output (see {@link #streamLlm}). */
  java.time.Duration STREAM_NOTE_INTERVAL = java.time.Duration.ofMillis(100);

  /** The task, as claimed for this attempt. */
  Task task();

  /**
   * The task's prompt with its parents' outputs filled in: {@code {{parent.output}}}, {@code
   * {{parent.prompt}}}, {@code {{parent.name}}} (the first parent) and {@code
   * {{parents.NAME.output}}} (the parent of that name).
   */
  String prompt();

  /** The parents, completed, in the order of {@link Task#parentIds()}. */
  List<Task> parents();

  /** True once the task was cancelled or timed out, or the node is shutting down. */
  boolean isCancelled();

  /** Throws InterruptedException when {@link #isCancelled()}: a checkpoint for long handlers. */
  void checkCancelled() throws InterruptedException;

  /**
   * Reports progress; it is appended to the task's events and reaches listeners.
   *
   * @param fraction done so far, 0 to 1
   * @param message what is happening
   */
  void progress(double fraction, String message);

  /**
   * Spawns a child task, written if and only if this attempt completes: in the same transaction as
   * the completion, so a cancel, a timeout or a lost lease that beats the completion leaves no
   * child behind, and a completion that wins leaves all of them (an attempt that ends in a {@link
   * HandlerResult#waits() wait} leaves none: spawn in the attempt that completes). The child waits
   * (PENDING) for this task and for its own {@code dependsOn}, which may name tasks spawned before
   * it in this attempt (a plan's steps as a DAG); a {@code delay} or {@code runAt} makes it a
   * continuation after a wait. It belongs to this task's owner and chain (its root), this task its
   * first parent.
   *
   * @return the child as it will be written (its id, for later children's {@code dependsOn})
   * @throws dev.orchestrator.InvalidTaskException when the spec is invalid, as a submit would; the
   *     attempt fails unless the handler catches it
   */
  Task spawn(TaskSpec spec);

  /**
   * The payload of the signal of this name sent to the task's run ({@code task().rootId()}), read
   * from the store: a step woken from {@link HandlerResult#awaitSignal} reads what it waited for
   * here (empty when the wait timed out). Any task of the run may read any of its signals, at any
   * time.
   */
  Optional<String> signal(String name);

  /**
   * Calls the configured LLM under the model's rate limit, with the wait noted in the task's events
   * and the tokens counted in the attempt's usage.
   */
  LlmResponse callLlm(LlmRequest request) throws LlmException, InterruptedException;

  /**
   * Makes the call as {@link #callLlm} does, streaming: what the model writes reaches the task's
   * events as notes {@code "output: <text written since the last note>"}, at most one per {@link
   * #STREAM_NOTE_INTERVAL} (a piece that comes sooner waits for the next one, the rest for the
   * end), in order: the notes' texts joined are the output. A cancel interrupts the worker, which
   * stops the stream. A client that cannot stream answers once.
   */
  LlmResponse streamLlm(LlmRequest request) throws LlmException, InterruptedException;
}

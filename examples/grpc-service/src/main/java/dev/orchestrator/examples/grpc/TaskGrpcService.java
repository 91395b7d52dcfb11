package dev.orchestrator.examples.grpc;

import dev.orchestrator.FeedQuery;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.Page;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.grpc.v1.BatchCreateTasksRequest;
import dev.orchestrator.grpc.v1.BatchCreateTasksResponse;
import dev.orchestrator.grpc.v1.CancelTaskRequest;
import dev.orchestrator.grpc.v1.ChainTaskRequest;
import dev.orchestrator.grpc.v1.CreateTaskFromTemplateRequest;
import dev.orchestrator.grpc.v1.CreateTaskRequest;
import dev.orchestrator.grpc.v1.GetTaskLineageRequest;
import dev.orchestrator.grpc.v1.GetTaskRequest;
import dev.orchestrator.grpc.v1.ListAttemptsRequest;
import dev.orchestrator.grpc.v1.ListAttemptsResponse;
import dev.orchestrator.grpc.v1.ListEventsRequest;
import dev.orchestrator.grpc.v1.ListEventsResponse;
import dev.orchestrator.grpc.v1.ListTaskTemplatesRequest;
import dev.orchestrator.grpc.v1.ListTaskTemplatesResponse;
import dev.orchestrator.grpc.v1.ListTasksRequest;
import dev.orchestrator.grpc.v1.ListTasksResponse;
import dev.orchestrator.grpc.v1.RetryTaskRequest;
import dev.orchestrator.grpc.v1.Task;
import dev.orchestrator.grpc.v1.TaskLineage;
import dev.orchestrator.grpc.v1.TaskServiceGrpc;
import dev.orchestrator.grpc.v1.TaskTemplate;
import dev.orchestrator.grpc.v1.WatchTasksRequest;
import dev.orchestrator.grpc.v1.WatchTasksResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * orchestrator.v1.TaskService over an {@link Orchestrator}: each call sees the tasks of the owner
 * its {@code x-user-id} names (every owner's without one), and every failure goes through {@link
 * GrpcErrors}.
 */
final class TaskGrpcService extends TaskServiceGrpc.TaskServiceImplBase {
  private final Orchestrator orchestrator;
  private final TaskWatches watches;

  TaskGrpcService(Orchestrator orchestrator, TaskWatches watches) {
    this.orchestrator = orchestrator;
    this.watches = watches;
  }

  private OwnerScope scope() {
    String owner = RequestMetadata.owner();
    return owner == null ? orchestrator.everyOwner() : orchestrator.forOwner(owner);
  }

  @Override
  public void createTask(CreateTaskRequest request, StreamObserver<Task> answer) {
    unary(answer, () -> Protos.task(scope().submit(Protos.spec(request.getSpec()).build())));
  }

  @Override
  public void batchCreateTasks(
      BatchCreateTasksRequest request, StreamObserver<BatchCreateTasksResponse> answer) {
    unary(
        answer,
        () -> {
          List<dev.orchestrator.TaskSpec> specs = new ArrayList<>();
          for (int i = 0; i < request.getSpecsCount(); i++) {
            try {
              specs.add(Protos.spec(request.getSpecs(i)).build());
            } catch (BadRequestException e) {
              throw new BadRequestException(e.reason(), "spec " + i + ": " + e.getMessage());
            }
          }
          BatchCreateTasksResponse.Builder b = BatchCreateTasksResponse.newBuilder();
          scope().submitAll(specs).forEach(t -> b.addTasks(Protos.task(t)));
          return b.build();
        });
  }

  @Override
  public void getTask(GetTaskRequest request, StreamObserver<Task> answer) {
    unary(
        answer,
        () ->
            Protos.task(
                scope()
                    .get(id("id", request.getId()))
                    .orElseThrow(
                        () ->
                            new dev.orchestrator.TaskNotFoundException(
                                id("id", request.getId())))));
  }

  @Override
  public void listTasks(ListTasksRequest request, StreamObserver<ListTasksResponse> answer) {
    unary(
        answer,
        () -> {
          TaskQuery.Builder q = TaskQuery.builder();
          List<TaskStatus> statuses = new ArrayList<>();
          for (int i = 0; i < request.getStatusesCount(); i++) {
            statuses.add(Protos.status(request.getStatuses(i), request.getStatusesValue(i)));
          }
          if (!statuses.isEmpty()) {
            q.status(statuses.toArray(TaskStatus[]::new));
          }
          if (request.hasParentId()) {
            q.parent(id("parent_id", request.getParentId()));
          }
          if (request.hasRootId()) {
            q.root(id("root_id", request.getRootId()));
          }
          if (request.hasLabelValue() && !request.hasLabelKey()) {
            throw new BadRequestException(
                BadRequestException.BAD_FIELD, "label_value needs label_key");
          }
          if (request.hasLabelKey()) {
            if (request.hasLabelValue()) {
              q.label(request.getLabelKey(), request.getLabelValue());
            } else {
              q.hasLabel(request.getLabelKey());
            }
          }
          if (request.hasText()) {
            q.text(request.getText());
          }
          int size = request.getPageSize();
          if (size < 0 || size > TaskQuery.MAX_LIMIT) {
            throw new BadRequestException(
                BadRequestException.BAD_FIELD,
                "page_size must be 0 to " + TaskQuery.MAX_LIMIT + ": " + size);
          }
          q.limit(size == 0 ? TaskQuery.DEFAULT_LIMIT : size);
          if (request.hasPageToken()) {
            q.after(pageToken(request.getPageToken()));
          }
          Page<dev.orchestrator.Task> page = scope().list(q.build());
          ListTasksResponse.Builder b = ListTasksResponse.newBuilder();
          page.items().forEach(t -> b.addTasks(Protos.task(t)));
          if (page.hasNext()) {
            b.setNextPageToken(page.nextCursor().toString());
          }
          return b.build();
        });
  }

  private static UUID pageToken(String token) {
    try {
      return Protos.id("page_token", token);
    } catch (BadRequestException e) {
      throw new BadRequestException(
          BadRequestException.BAD_PAGE_TOKEN, "page_token is not one a ListTasks call gave");
    }
  }

  @Override
  public void cancelTask(CancelTaskRequest request, StreamObserver<Task> answer) {
    unary(
        answer,
        () -> {
          String reason =
              request.hasReason()
                  ? request.getReason()
                  : "cancelled through the API (request " + RequestMetadata.requestId() + ")";
          return Protos.task(scope().cancel(id("id", request.getId()), reason));
        });
  }

  @Override
  public void retryTask(RetryTaskRequest request, StreamObserver<Task> answer) {
    unary(
        answer,
        () -> {
          int attempts =
              request.hasMaxAttempts()
                  ? request.getMaxAttempts()
                  : Orchestrator.Builder.DEFAULT_MAX_ATTEMPTS;
          return Protos.task(scope().retry(id("id", request.getId()), attempts));
        });
  }

  @Override
  public void chainTask(ChainTaskRequest request, StreamObserver<Task> answer) {
    unary(
        answer,
        () ->
            Protos.task(
                scope()
                    .chain(
                        id("parent_id", request.getParentId()),
                        Protos.spec(request.getSpec()).build())));
  }

  @Override
  public void listTaskTemplates(
      ListTaskTemplatesRequest request, StreamObserver<ListTaskTemplatesResponse> answer) {
    unary(
        answer,
        () -> {
          ListTaskTemplatesResponse.Builder b = ListTaskTemplatesResponse.newBuilder();
          new TreeMap<>(orchestrator.templates())
              .forEach(
                  (name, text) ->
                      b.addTemplates(TaskTemplate.newBuilder().setName(name).setText(text)));
          return b.build();
        });
  }

  @Override
  public void createTaskFromTemplate(
      CreateTaskFromTemplateRequest request, StreamObserver<Task> answer) {
    unary(
        answer,
        () -> {
          if (request.getSpec().hasPrompt()) {
            throw new BadRequestException(
                BadRequestException.BAD_FIELD, "spec.prompt: the template gives the prompt");
          }
          if (!request.getSpec().getVariablesMap().isEmpty()) {
            throw new BadRequestException(
                BadRequestException.BAD_FIELD, "spec.variables: send them as variables");
          }
          dev.orchestrator.TaskSpec spec =
              Protos.spec(request.getSpec())
                  .template(request.getTemplate(), request.getVariablesMap())
                  .build();
          return Protos.task(scope().submit(spec));
        });
  }

  @Override
  public void getTaskLineage(GetTaskLineageRequest request, StreamObserver<TaskLineage> answer) {
    unary(answer, () -> Protos.lineage(scope().lineage(id("id", request.getId()))));
  }

  @Override
  public void listAttempts(
      ListAttemptsRequest request, StreamObserver<ListAttemptsResponse> answer) {
    unary(
        answer,
        () -> {
          ListAttemptsResponse.Builder b = ListAttemptsResponse.newBuilder();
          scope()
              .attempts(id("id", request.getId()))
              .forEach(a -> b.addAttempts(Protos.attempt(a)));
          return b.build();
        });
  }

  @Override
  public void listEvents(ListEventsRequest request, StreamObserver<ListEventsResponse> answer) {
    unary(
        answer,
        () -> {
          ListEventsResponse.Builder b = ListEventsResponse.newBuilder();
          scope().events(id("id", request.getId())).forEach(e -> b.addEvents(Protos.event(e)));
          return b.build();
        });
  }

  @Override
  public void watchTasks(WatchTasksRequest request, StreamObserver<WatchTasksResponse> answer) {
    String requestId = RequestMetadata.requestId();
    try {
      OwnerScope scope = scope();
      FeedQuery query = FeedQuery.after(null);
      switch (request.getScopeCase()) {
        case TASK_ID -> {
          UUID id = id("task_id", request.getTaskId());
          scope.get(id).orElseThrow(() -> new dev.orchestrator.TaskNotFoundException(id));
          query = query.ofTask(id);
        }
        case ROOT_ID -> {
          UUID id = id("root_id", request.getRootId());
          scope.get(id).orElseThrow(() -> new dev.orchestrator.TaskNotFoundException(id));
          query = query.ofRoot(id);
        }
        default -> {
          if (!request.hasAfterSequence()) {
            query = query.from(orchestrator.feedHead());
          }
        }
      }
      if (request.hasAfterSequence()) {
        query = query.from(request.getAfterSequence());
        try {
          scope.feed(query.limit(1));
        } catch (IllegalArgumentException e) {
          throw new BadRequestException(
              BadRequestException.BAD_SEQUENCE, "after_sequence is not one a WatchTasks call gave");
        }
      }
      watches.start(scope, query, (ServerCallStreamObserver<WatchTasksResponse>) answer, requestId);
    } catch (RuntimeException e) {
      answer.onError(GrpcErrors.exception(e, requestId));
    }
  }

  private static UUID id(String field, String text) {
    return Protos.id(field, text);
  }

  /**
   * Runs one unary call: refused at once when its deadline has passed, and the thread running it
   * interrupted when the deadline passes (or the caller cancels) while it runs.
   */
  private static <T> void unary(StreamObserver<T> answer, Supplier<T> work) {
    String requestId = RequestMetadata.requestId();
    Context context = Context.current();
    if (context.isCancelled()) {
      answer.onError(
          Status.DEADLINE_EXCEEDED
              .withDescription(
                  "deadline passed before the call started (request " + requestId + ")")
              .asRuntimeException());
      return;
    }
    T result;
    try (Interruption ignored = Interruption.on(context)) {
      result = work.get();
    } catch (RuntimeException e) {
      answer.onError(GrpcErrors.exception(e, requestId));
      return;
    }
    answer.onNext(result);
    answer.onCompleted();
  }

  /** Interrupts the running thread when a context is cancelled, until closed. */
  private static final class Interruption implements AutoCloseable, Context.CancellationListener {
    private final Context context;
    private final Thread thread = Thread.currentThread();
    private boolean running = true;

    private Interruption(Context context) {
      this.context = context;
    }

    static Interruption on(Context context) {
      Interruption i = new Interruption(context);
      context.addListener(i, Runnable::run);
      return i;
    }

    @Override
    public synchronized void cancelled(Context ignored) {
      if (running) {
        thread.interrupt();
      }
    }

    @Override
    public void close() {
      context.removeListener(this);
      synchronized (this) {
        running = false;
        // an interrupt meant for this call must not reach the next one on this thread
        Thread.interrupted();
      }
    }
  }
}

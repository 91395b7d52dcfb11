package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Activity;
import dev.orchestrator.FeedEntry;
import dev.orchestrator.FeedPage;
import dev.orchestrator.FeedQuery;
import dev.orchestrator.Lineage;
import dev.orchestrator.NodeInfo;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.UsageTotal;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.lifecycle.Transitions;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The task store on PostgreSQL: the source of truth that many nodes share.
 *
 * <pre>{@code
 * TaskStore store = PostgresTaskStore.builder().dataSource(ds).tablePrefix("orch_").build();
 * TaskStore store = PostgresTaskStore.connect("jdbc:postgresql://db/app", "app", secret);
 * }</pre>
 *
 * <p>Every status change is one statement: a compare-and-set {@code UPDATE ... WHERE id = ? AND
 * status = ? AND version = ?} that writes the event (and the attempt record it ends) in the same
 * statement. {@link #updateAll}, the group commit of attempt endings, sends that statement for
 * every update as one pipelined JDBC batch in one transaction. Claims pick rows with {@code FOR
 * UPDATE SKIP LOCKED}, so nodes claiming at once never wait for, nor take, each other's tasks. A
 * batch insert is one transaction of one multi-row statement per {@value #INSERT_CHUNK} tasks.
 * Writes that leave a task QUEUED notify the channel {@code <prefix>tasks_queued}, which {@link
 * PostgresWorkSource} listens on.
 *
 * <p>Text is stored exactly, except what PostgreSQL cannot hold: a task with U+0000 or an unpaired
 * surrogate in any text is refused with {@link dev.orchestrator.InvalidTaskException} ({@code
 * BAD_FIELD}) before anything is written. Instants are kept to the microsecond; the tasks the store
 * returns carry the stored values.
 *
 * <p>Recurring schedules are rows of {@code <prefix>schedules} (see {@code ScheduleRows}); saving
 * and advancing one is a single compare-and-set statement on its version.
 */
public final class PostgresTaskStore implements TaskStore {
  /** Tasks per statement of a batch insert. */
  public static final int INSERT_CHUNK = 1000;

  private static final Comparator<Task> IDEMPOTENCY_ORDER =
      Comparator.comparing(Task::owner)
          .thenComparing(Task::idempotencyKey, Comparator.nullsLast(Comparator.naturalOrder()));

  private final Jdbc jdbc;
  private final Statements sql;
  private final ScheduleRows schedules;
  private final String tablePrefix;
  private final HikariDataSource ownedPool;
  private final QueueVacuum vacuum;

  private PostgresTaskStore(Builder b, DataSource dataSource, HikariDataSource ownedPool) {
    this.jdbc = new Jdbc(dataSource);
    this.tablePrefix = b.tablePrefix;
    this.sql = new Statements(b.tablePrefix);
    this.schedules = new ScheduleRows(b.tablePrefix);
    this.ownedPool = ownedPool;
    this.vacuum = new QueueVacuum(dataSource, b.tablePrefix, b.vacuumEvery);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A store on its own HikariCP pool (closed with the store), migrating the schema first.
   *
   * @param jdbcUrl e.g. {@code jdbc:postgresql://localhost:5432/app}
   */
  public static PostgresTaskStore connect(String jdbcUrl, String user, String password) {
    return builder().jdbcUrl(jdbcUrl, user, password).build();
  }

  /** The database the store works on. */
  public DataSource dataSource() {
    return jdbc.dataSource();
  }

  public String tablePrefix() {
    return tablePrefix;
  }

  /** The channel that writes leaving a task QUEUED notify. */
  public String notifyChannel() {
    return sql.channel;
  }

  // ---- writes ----

  @Override
  public List<Task> insert(List<Task> tasks) {
    Task[] result = new Task[tasks.size()];
    Map<UUID, Integer> ids = new HashMap<>();
    Map<List<String>, Integer> firstWithKey = new HashMap<>();
    List<Task> fresh = new ArrayList<>();
    List<Integer> repeats = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      Task t = tasks.get(i);
      Transitions.checkInitial(t.status());
      if (t.version() != 0) {
        throw new IllegalArgumentException("a new task has version 0: " + t.id());
      }
      if (ids.put(t.id(), i) != null) {
        throw new IllegalArgumentException("duplicate task id " + t.id());
      }
      TaskRows.checkStorable(t, i);
      List<String> key = t.idempotencyKey() == null ? null : List.of(t.owner(), t.idempotencyKey());
      if (key != null && firstWithKey.putIfAbsent(key, i) != null) {
        repeats.add(i); // takes the place of the first task with its key, below
      } else {
        result[i] = TaskRows.normalize(t);
        fresh.add(result[i]);
      }
    }
    if (fresh.isEmpty()) {
      return List.of();
    }
    // batches racing on shared keys wait for each other's uncommitted keys: taking the keys in one
    // order everywhere keeps those waits from forming a deadlock
    fresh.sort(IDEMPOTENCY_ORDER);
    jdbc.inTransaction(
        c -> {
          Map<UUID, Instant> inserted = new HashMap<>();
          for (int from = 0; from < fresh.size(); from += INSERT_CHUNK) {
            inserted.putAll(
                insertChunk(c, fresh.subList(from, Math.min(fresh.size(), from + INSERT_CHUNK))));
          }
          for (Task t : fresh) {
            Instant turn = inserted.get(t.id());
            if (turn != null && !turn.equals(t.turn())) {
              result[ids.get(t.id())] = t.toBuilder().turn(turn).build();
            }
          }
          List<Task> taken = fresh.stream().filter(t -> !inserted.containsKey(t.id())).toList();
          if (!taken.isEmpty()) {
            Map<List<String>, Task> existing = byIdempotencyKey(c, taken);
            for (Task t : taken) {
              Task found = existing.get(List.of(t.owner(), t.idempotencyKey()));
              if (found == null) {
                throw new IllegalStateException(
                    "task " + t.id() + " was neither inserted nor found");
              }
              result[ids.get(t.id())] = found;
            }
          }
          return null;
        });
    for (int i : repeats) {
      Task t = tasks.get(i);
      result[i] = result[firstWithKey.get(List.of(t.owner(), t.idempotencyKey()))];
    }
    return List.of(result);
  }

  /** Inserts the tasks whose idempotency key is free and returns their ids with their turns. */
  private Map<UUID, Instant> insertChunk(Connection c, List<Task> chunk) throws SQLException {
    int columns = TaskRows.TASK_COLUMNS.size();
    String[][] byColumn = new String[columns][chunk.size()];
    for (int row = 0; row < chunk.size(); row++) {
      String[] values = TaskRows.values(chunk.get(row));
      for (int col = 0; col < columns; col++) {
        byColumn[col][row] = values[col];
      }
    }
    try {
      return Jdbc.query(
              c,
              sql.insertTasks,
              rs -> Map.entry(rs.getObject(1, UUID.class), Jdbc.instant(rs, "turn_at")),
              (Object[]) byColumn)
          .stream()
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    } catch (SQLException e) {
      StoreException failure = StoreException.of(e);
      if (failure.violates(tablePrefix + "task_specs_pkey")
          || failure.violates(tablePrefix + "tasks_pkey")) {
        throw new IllegalArgumentException("duplicate task id: " + e.getMessage(), e);
      }
      throw failure;
    }
  }

  private Map<List<String>, Task> byIdempotencyKey(Connection c, List<Task> tasks)
      throws SQLException {
    String[] owners = tasks.stream().map(Task::owner).toArray(String[]::new);
    String[] keys = tasks.stream().map(Task::idempotencyKey).toArray(String[]::new);
    return Jdbc.query(c, sql.byIdempotencyKey, TaskRows::task, owners, keys).stream()
        .collect(Collectors.toMap(t -> List.of(t.owner(), t.idempotencyKey()), t -> t));
  }

  @Override
  public Optional<Task> update(TaskUpdate u) {
    return updateAll(List.of(u)).get(0);
  }

  /**
   * Applies the updates with one set-based statement ({@link Statements#update}): each its own
   * compare-and-set, a loser writes nothing and does not stop the others. Where one task has
   * several updates, they run in their order as rounds of one statement each (a task at most once
   * per round), in one transaction. An error of the database rolls them all back.
   */
  @Override
  public List<Optional<Task>> updateAll(List<TaskUpdate> updates) {
    if (updates.isEmpty()) {
      return List.of();
    }
    Task[] next = new Task[updates.size()];
    for (int i = 0; i < next.length; i++) {
      TaskUpdate u = updates.get(i);
      next[i] =
          TaskRows.normalize(u.next().toBuilder().version(u.expected().version() + 1).build());
      TaskRows.checkStorable(next[i], i);
      TaskRows.checkStorable(u.event());
      if (u.attempt() != null) {
        TaskRows.checkStorable(u.attempt());
      }
    }
    List<List<Integer>> rounds = rounds(updates);
    boolean spawns = updates.stream().anyMatch(u -> !u.spawned().isEmpty());
    List<List<Task>> spawned = new ArrayList<>();
    for (TaskUpdate u : updates) {
      List<Task> children = new ArrayList<>();
      for (Task child : u.spawned()) {
        TaskRows.checkStorable(child, children.size());
        children.add(TaskRows.normalize(child));
      }
      spawned.add(children);
    }
    @SuppressWarnings("unchecked")
    Optional<Task>[] results = new Optional[next.length];
    Jdbc.Work<Void> work =
        c -> {
          List<Task> born = new ArrayList<>();
          for (List<Integer> round : rounds) {
            Set<UUID> won =
                new HashSet<>(
                    Jdbc.query(
                        c,
                        sql.update,
                        rs -> rs.getObject(1, UUID.class),
                        updateParameters(updates, next, round)));
            for (int i : round) {
              results[i] = won.contains(next[i].id()) ? Optional.of(next[i]) : Optional.empty();
              if (results[i].isPresent()) {
                born.addAll(spawned.get(i));
              }
            }
          }
          // the children of the changes that won, in their transaction
          for (int from = 0; from < born.size(); from += INSERT_CHUNK) {
            insertChunk(c, born.subList(from, Math.min(born.size(), from + INSERT_CHUNK)));
          }
          return null;
        };
    refusingSecondRecords(
        "an attempt of the batch",
        () -> rounds.size() == 1 && !spawns ? jdbc.withConnection(work) : jdbc.inTransaction(work));
    return List.of(results);
  }

  /** The updates' indexes in rounds in which each task appears at most once, in their order. */
  private static List<List<Integer>> rounds(List<TaskUpdate> updates) {
    List<List<Integer>> rounds = new ArrayList<>();
    Map<UUID, Integer> lastRound = new HashMap<>();
    for (int i = 0; i < updates.size(); i++) {
      UUID id = updates.get(i).expected().id();
      int round = lastRound.merge(id, 0, (last, zero) -> last + 1);
      if (round == rounds.size()) {
        rounds.add(new ArrayList<>());
      }
      rounds.get(round).add(i);
    }
    return rounds;
  }

  /** The arrays {@link Statements#update} takes for these updates: one per column. */
  private static Object[] updateParameters(
      List<TaskUpdate> updates, Task[] next, List<Integer> round) {
    int changing = TaskRows.CHANGING_COLUMNS.size();
    String[][] state = new String[4 + changing][round.size()];
    List<String[]> attempts = new ArrayList<>();
    for (int k = 0; k < round.size(); k++) {
      TaskUpdate u = updates.get(round.get(k));
      state[0][k] = u.expected().id().toString();
      state[1][k] = u.expected().status().name();
      state[2][k] = Long.toString(u.expected().version());
      state[3][k] = u.reason();
      String[] values = TaskRows.changingValues(next[round.get(k)]);
      for (int col = 0; col < changing; col++) {
        state[4 + col][k] = values[col];
      }
      if (u.attempt() != null) {
        attempts.add(TaskRows.values(u.attempt()));
      }
    }
    int attemptColumns = TaskRows.ATTEMPT_COLUMNS.size();
    String[][] attempt = new String[attemptColumns][attempts.size()];
    for (int row = 0; row < attempts.size(); row++) {
      for (int col = 0; col < attemptColumns; col++) {
        attempt[col][row] = attempts.get(row)[col];
      }
    }
    Object[] params = new Object[state.length + attempt.length];
    System.arraycopy(state, 0, params, 0, state.length);
    System.arraycopy(attempt, 0, params, state.length, attempt.length);
    return params;
  }

  /**
   * Runs updates, turning a second record of one attempt, which the database refuses, into the
   * caller's error.
   */
  private <T> T refusingSecondRecords(String attempt, Supplier<T> updates) {
    try {
      return updates.get();
    } catch (StoreException e) {
      if (e.violates(tablePrefix + "attempts_pkey")) {
        throw new IllegalStateException(attempt + " already has a record: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  @Override
  public List<Task> claim(Collection<UUID> ids, Lease lease) {
    if (ids.isEmpty()) {
      return List.of();
    }
    return claim(sql.claimGiven, lease, (Object) ids.toArray(UUID[]::new));
  }

  @Override
  public List<Task> claimNext(int limit, Lease lease, Route route) {
    if (limit <= 0) {
      return List.of();
    }
    return claim(
        sql.claimNext,
        lease,
        limit,
        route.queues().toArray(String[]::new),
        route.types().toArray(String[]::new));
  }

  /** Claims the candidates the statement selects with these parameters. */
  private List<Task> claim(String statement, Lease lease, Object... candidates) {
    TaskRows.check("lease owner", lease.owner(), 0);
    Object[] params = Arrays.copyOf(candidates, candidates.length + 4);
    params[candidates.length] = lease.now();
    params[candidates.length + 1] = lease.now();
    params[candidates.length + 2] = lease.owner();
    params[candidates.length + 3] = lease.expiresAt();
    List<Task> claimed = jdbc.query(statement, TaskRows::task, params);
    vacuum.claimed(claimed.size());
    return claimed;
  }

  @Override
  public Set<UUID> renewLeases(String owner, Collection<UUID> ids, Instant expiresAt) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return new HashSet<>(
        jdbc.query(
            sql.renewLeases,
            rs -> rs.getObject(1, UUID.class),
            ids.toArray(UUID[]::new),
            owner,
            expiresAt));
  }

  @Override
  public List<Task> expiredLeases(Instant now, int limit) {
    return jdbc.read(sql.expiredLeases, TaskRows::task, now, limit);
  }

  @Override
  public List<Task> promoteDue(Instant now, int limit) {
    return jdbc.query(sql.promoteDue, TaskRows::task, now, limit, now);
  }

  @Override
  public Optional<Instant> nextRunAt() {
    return Optional.ofNullable(jdbc.read(sql.nextRunAt, rs -> Jdbc.instant(rs, "min")).get(0));
  }

  @Override
  public void attachLateResult(Attempt late) {
    TaskRows.checkStorable(late);
    jdbc.update(
        sql.attachLateResult,
        late.model(),
        late.usage().inputTokens(),
        late.usage().outputTokens(),
        late.usage().cost(),
        late.output(),
        late.taskId(),
        late.number());
  }

  @Override
  public FeedPage feed(FeedQuery q) {
    long[] after = q.after() == null ? new long[] {0, 0} : feedPosition(q.after());
    StringBuilder filters = new StringBuilder();
    List<Object> params = new ArrayList<>(List.of(Long.toString(after[0]), after[1]));
    if (q.taskId() != null) {
      filters.append(" AND e.task_id = ?");
      params.add(q.taskId());
    }
    if (q.rootId() != null) {
      filters.append(" AND t.root_id = ?");
      params.add(q.rootId());
    }
    if (q.owner() != null) {
      filters.append(" AND t.owner = ?");
      params.add(q.owner());
    }
    params.add(q.limit());
    List<FeedEntry> entries =
        jdbc.read(
            sql.feed(q.rootId() != null || q.owner() != null, filters.toString()),
            rs ->
                new FeedEntry(
                    rs.getString("feed_tx") + "-" + rs.getLong("seq"), TaskRows.event(rs)),
            params.toArray());
    String position =
        entries.isEmpty() ? after[0] + "-" + after[1] : entries.get(entries.size() - 1).position();
    return new FeedPage(entries, position);
  }

  /** A position of this store's feed: the writing transaction and the event's sequence number. */
  private static long[] feedPosition(String text) {
    int dash = text.indexOf('-');
    try {
      if (dash > 0) {
        long tx = Long.parseLong(text.substring(0, dash));
        long seq = Long.parseLong(text.substring(dash + 1));
        if (tx >= 0 && seq >= 0) {
          return new long[] {tx, seq};
        }
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("not a feed position of the PostgreSQL store: " + text);
  }

  @Override
  public String feedHead() {
    return jdbc.readOne(sql.feedHead, rs -> rs.getString("feed_tx") + "-" + rs.getLong("seq"))
        .orElse("0-0");
  }

  @Override
  public List<Activity> activity(Instant since, String owner) {
    Jdbc.Row<Activity> row =
        rs ->
            new Activity(
                Jdbc.instant(rs, "minute"),
                TaskStatus.valueOf(rs.getString("status")),
                rs.getString("model"),
                rs.getLong("tasks"),
                rs.getLong("input_tokens"),
                rs.getLong("output_tokens"),
                TaskRows.decimal(rs, "cost"));
    return owner == null
        ? jdbc.read(sql.activity, row, since)
        : jdbc.read(sql.activityOfOwner, row, since, owner);
  }

  // ---- signals ----

  @Override
  public boolean saveSignal(UUID runId, String name, String payload, Instant at) {
    TaskRows.check("signal name", name, 0);
    TaskRows.check("signal payload", Objects.requireNonNull(payload, "payload"), 0);
    return jdbc.update(sql.saveSignal, runId, name, payload, at) == 1;
  }

  @Override
  public Optional<String> signal(UUID runId, String name) {
    return jdbc.readOne(sql.signal, rs -> rs.getString(1), runId, name);
  }

  @Override
  public void recordNode(String nodeId, Instant startedAt, Instant now, int running) {
    TaskRows.check("node id", nodeId, 0);
    jdbc.update(sql.recordNode, nodeId, startedAt, now, running);
  }

  @Override
  public void forgetNode(String nodeId) {
    jdbc.update(sql.forgetNode, nodeId);
  }

  @Override
  public List<Task> queuedOfKey(String key, int limit) {
    return jdbc.read(sql.queuedOfKey, TaskRows::task, key, limit);
  }

  @Override
  public boolean pauseType(String type) {
    TaskRows.check("type", type, 0);
    return jdbc.update(sql.pauseType, type) == 1;
  }

  @Override
  public boolean resumeType(String type) {
    TaskRows.check("type", type, 0);
    return jdbc.update(sql.resumeType, type) == 1;
  }

  @Override
  public Set<String> pausedTypes() {
    return Set.copyOf(jdbc.read(sql.pausedTypes, rs -> rs.getString(1)));
  }

  @Override
  public List<NodeInfo> nodes(Instant seenSince) {
    return jdbc.read(
        sql.nodes,
        rs ->
            new NodeInfo(
                rs.getString("node_id"),
                Jdbc.instant(rs, "started_at"),
                Jdbc.instant(rs, "last_seen"),
                rs.getInt("running")),
        seenSince);
  }

  // ---- recurring schedules ----

  @Override
  public Optional<Schedule> saveSchedule(Schedule schedule) {
    if (schedule.version() == 0) {
      return jdbc.queryOne(
          schedules.insert, ScheduleRows::schedule, ScheduleRows.insertValues(schedule));
    }
    return jdbc.queryOne(
        schedules.replace, ScheduleRows::schedule, ScheduleRows.replaceValues(schedule));
  }

  @Override
  public Optional<Schedule> schedule(String name) {
    return jdbc.readOne(schedules.byName, ScheduleRows::schedule, name);
  }

  @Override
  public List<Schedule> schedules() {
    return jdbc.read(schedules.all, ScheduleRows::schedule);
  }

  @Override
  public boolean deleteSchedule(String name) {
    return jdbc.update(schedules.delete, name) > 0;
  }

  @Override
  public Optional<Schedule> advanceSchedule(
      String name, long expectedVersion, Instant since, Instant nextFire, Instant now) {
    return jdbc.queryOne(
        schedules.advance, ScheduleRows::schedule, since, nextFire, now, name, expectedVersion);
  }

  @Override
  public List<Schedule> dueSchedules(Instant until, int limit) {
    return jdbc.read(schedules.due, ScheduleRows::schedule, until, limit);
  }

  @Override
  public void appendEvent(TaskEvent note) {
    TaskRows.checkStorable(note);
    jdbc.update(
        sql.appendEvent,
        note.taskId(),
        note.from(),
        note.to(),
        note.at(),
        note.attempt(),
        note.reason(),
        note.version(),
        note.taskId());
  }

  /**
   * Deletes COMPLETED, FAILED and CANCELLED tasks whose status last changed before {@code cutoff},
   * with their attempt records, events and edges (and the signals of runs left with no task), in
   * transactions of at most {@code batchSize} tasks, so retention never holds long locks.
   *
   * @return the number of tasks deleted
   */
  @Override
  public long purgeTerminal(Instant cutoff, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
    }
    long total = 0;
    long deleted;
    do {
      deleted = jdbc.queryOne(sql.purge, rs -> rs.getLong(1), cutoff, batchSize).orElse(0L);
      total += deleted;
    } while (deleted == batchSize);
    return total;
  }

  // ---- reads ----

  @Override
  public Optional<Task> get(UUID id) {
    return jdbc.readOne(sql.get, TaskRows::task, id);
  }

  @Override
  public List<Task> getAll(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    return jdbc.read(sql.getAll, TaskRows::task, (Object) ids.toArray(UUID[]::new));
  }

  @Override
  public List<Task> stale(TaskStatus status, Instant before, int limit) {
    return jdbc.read(sql.stale, TaskRows::task, status, before, limit);
  }

  @Override
  public List<Task> pendingChildren(Collection<UUID> parentIds) {
    if (parentIds.isEmpty()) {
      return List.of();
    }
    return jdbc.read(sql.pendingChildren, TaskRows::task, (Object) parentIds.toArray(UUID[]::new));
  }

  @Override
  public Page<Task> query(TaskQuery q) {
    List<String> where = new ArrayList<>();
    List<Object> params = new ArrayList<>();
    if (!q.statuses().isEmpty()) {
      where.add("status = ANY(?)");
      params.add(q.statuses().stream().map(Enum::name).toArray(String[]::new));
    }
    if (q.parentId() != null) {
      where.add("id IN (SELECT child_id FROM " + sql.edgesTable + " WHERE parent_id = ?)");
      params.add(q.parentId());
    }
    if (q.rootId() != null) {
      where.add("root_id = ?");
      params.add(q.rootId());
    }
    if (q.owner() != null) {
      where.add("owner = ?");
      params.add(q.owner());
    }
    if (q.type() != null) {
      // unqualified: the join's one column of that name, whichever of the two tables holds it
      TaskRows.check("query type", q.type(), 0);
      where.add("type = ?");
      params.add(q.type());
    }
    if (q.labelKey() != null && q.labelValue() == null) {
      where.add("labels ?? ?"); // jsonb key exists; ?? is the driver's escape of the ? operator
      params.add(q.labelKey());
    } else if (q.labelKey() != null) {
      where.add("labels @> ?::jsonb");
      params.add(TaskRows.json(Map.of(q.labelKey(), q.labelValue())));
    }
    if (q.text() != null && !q.text().isEmpty()) {
      where.add("(name ILIKE ? OR prompt ILIKE ?)");
      String pattern = "%" + likeEscape(q.text()) + "%";
      params.add(pattern);
      params.add(pattern);
    }
    if (q.after() != null) {
      where.add("id < ?");
      params.add(q.after());
    }
    params.add(q.limit() + 1);
    String statement =
        "SELECT * FROM "
            + sql.taskRows
            + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
            + " ORDER BY id DESC LIMIT ?";
    List<Task> rows = jdbc.read(statement, TaskRows::task, params.toArray());
    if (rows.size() > q.limit()) {
      List<Task> page = rows.subList(0, q.limit());
      return new Page<>(page, page.get(page.size() - 1).id());
    }
    return new Page<>(rows, null);
  }

  private static String likeEscape(String text) {
    TaskRows.check("query text", text, 0);
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  @Override
  public List<Attempt> attempts(UUID taskId) {
    return jdbc.read(sql.attempts, TaskRows::attempt, taskId);
  }

  @Override
  public List<TaskEvent> events(UUID taskId) {
    return jdbc.read(sql.events, TaskRows::event, taskId);
  }

  @Override
  public List<Lineage.Edge> lineage(UUID taskId) {
    return jdbc.read(
        sql.lineage,
        rs -> new Lineage.Edge(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)),
        taskId);
  }

  @Override
  public Map<TaskStatus, Long> countByStatus(String owner) {
    Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
    Jdbc.Row<Map.Entry<TaskStatus, Long>> row =
        rs -> Map.entry(TaskStatus.valueOf(rs.getString(1)), rs.getLong(2));
    (owner == null
            ? jdbc.read(sql.countByStatus, row)
            : jdbc.read(sql.countByStatusOfOwner, row, owner))
        .forEach(e -> counts.put(e.getKey(), e.getValue()));
    return counts;
  }

  @Override
  public List<UsageTotal> usageTotals(String owner) {
    Jdbc.Row<UsageTotal> row =
        rs ->
            new UsageTotal(
                rs.getString(1),
                rs.getString(2),
                rs.getLong("attempts"),
                rs.getLong("input_tokens"),
                rs.getLong("output_tokens"),
                TaskRows.decimal(rs, "cost"));
    return owner == null
        ? jdbc.read(sql.usageTotals, row)
        : jdbc.read(sql.usageTotalsOfOwner, row, owner);
  }

  /** Closes the connection pool when the store created it; a given DataSource stays open. */
  @Override
  public void close() {
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  /**
   * Configures a store. Either {@link #dataSource} (the caller's pool, left open on close) or
   * {@link #jdbcUrl} (a HikariCP pool the store creates and closes) is required.
   */
  public static final class Builder {
    /** Connections of a pool the store creates. */
    public static final int DEFAULT_POOL_SIZE = 10;

    private DataSource dataSource;
    private String jdbcUrl;
    private String user;
    private String password;
    private int poolSize = DEFAULT_POOL_SIZE;
    private String tablePrefix = SchemaMigrator.DEFAULT_TABLE_PREFIX;
    private boolean migrate = true;
    private long vacuumEvery = DEFAULT_VACUUM_EVERY;

    private Builder() {}

    /** The caller's pool; the store never closes it. */
    public Builder dataSource(DataSource value) {
      dataSource = Objects.requireNonNull(value, "dataSource");
      return this;
    }

    /** Makes the store create (and close) a HikariCP pool on this database. */
    public Builder jdbcUrl(String url, String user, String password) {
      this.jdbcUrl = Objects.requireNonNull(url, "url");
      this.user = user;
      this.password = password;
      return this;
    }

    /** Claims between two vacuums of the tasks table (see {@link #vacuumEvery}). */
    public static final long DEFAULT_VACUUM_EVERY = 20_000;

    /**
     * How many claims the store lets pass between two vacuums of its tasks table, which it runs in
     * the background (one node at a time); default {@value #DEFAULT_VACUUM_EVERY}, 0 leaves the
     * table to autovacuum. A claim leaves a dead entry at the head of the queue index, which every
     * later claim walks past until a vacuum removes it, and autovacuum visits a database at most
     * once a minute: under a steady load the claims slow down without it. Needs a role that owns
     * the table (the one that migrated it).
     */
    public Builder vacuumEvery(long claims) {
      if (claims < 0) {
        throw new IllegalArgumentException("claims between vacuums cannot be negative: " + claims);
      }
      vacuumEvery = claims;
      return this;
    }

    /** Size of the pool the store creates; default {@value #DEFAULT_POOL_SIZE}. */
    public Builder maximumPoolSize(int value) {
      if (value < 2) {
        throw new IllegalArgumentException("pool size must be at least 2: " + value);
      }
      poolSize = value;
      return this;
    }

    /**
     * Prefix of every table, index and the notify channel; default {@code "orch_"}. Lets several
     * orchestrators (or tests) share one schema.
     */
    public Builder tablePrefix(String value) {
      tablePrefix = SchemaMigrator.validatePrefix(value);
      return this;
    }

    /**
     * Whether {@link #build()} applies pending migrations (default true). Turn off when Flyway or
     * Liquibase owns the schema: see {@link SchemaMigrator}.
     */
    public Builder migrate(boolean value) {
      migrate = value;
      return this;
    }

    public PostgresTaskStore build() {
      if ((dataSource == null) == (jdbcUrl == null)) {
        throw new IllegalStateException("set exactly one of dataSource and jdbcUrl");
      }
      HikariDataSource pool = jdbcUrl == null ? null : pool();
      try {
        DataSource ds = pool != null ? pool : dataSource;
        if (migrate) {
          new SchemaMigrator(ds, tablePrefix).migrate();
        }
        return new PostgresTaskStore(this, ds, pool);
      } catch (RuntimeException e) {
        if (pool != null) {
          pool.close();
        }
        throw e;
      }
    }

    private HikariDataSource pool() {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(jdbcUrl);
      config.setUsername(user);
      config.setPassword(password);
      config.setMaximumPoolSize(poolSize);
      config.setPoolName("orchestrator-" + tablePrefix + "pool");
      return new HikariDataSource(config);
    }
  }
}

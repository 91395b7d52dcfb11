package dev.orchestrator.testing;

import dev.orchestrator.Lineage;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.UsageTotal;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A store that passes every call to another through {@link #call}: tests override it (or single
 * methods) to cut the link to the store, count calls or hold them.
 */
public class DelegatingTaskStore implements TaskStore {
  protected final TaskStore delegate;

  public DelegatingTaskStore(TaskStore delegate) {
    this.delegate = delegate;
  }

  /** Runs one call to the delegate; the place to intercept them all. */
  protected <T> T call(Supplier<T> op) {
    return op.get();
  }

  @Override
  public List<Task> insert(List<Task> tasks) {
    return call(() -> delegate.insert(tasks));
  }

  @Override
  public Optional<Task> get(UUID id) {
    return call(() -> delegate.get(id));
  }

  @Override
  public List<Task> getAll(Collection<UUID> ids) {
    return call(() -> delegate.getAll(ids));
  }

  @Override
  public Optional<Task> update(TaskUpdate u) {
    return call(() -> delegate.update(u));
  }

  @Override
  public List<Task> claim(Collection<UUID> ids, Lease l) {
    return call(() -> delegate.claim(ids, l));
  }

  @Override
  public List<Task> claimNext(int n, Lease l, dev.orchestrator.spi.Route route) {
    return call(() -> delegate.claimNext(n, l, route));
  }

  @Override
  public List<Task> queuedOfKey(String key, int limit) {
    return call(() -> delegate.queuedOfKey(key, limit));
  }

  @Override
  public boolean pauseType(String type) {
    return call(() -> delegate.pauseType(type));
  }

  @Override
  public boolean resumeType(String type) {
    return call(() -> delegate.resumeType(type));
  }

  @Override
  public Set<String> pausedTypes() {
    return call(delegate::pausedTypes);
  }

  @Override
  public Set<UUID> renewLeases(String o, Collection<UUID> ids, Instant e) {
    return call(() -> delegate.renewLeases(o, ids, e));
  }

  @Override
  public List<Task> expiredLeases(Instant now, int n) {
    return call(() -> delegate.expiredLeases(now, n));
  }

  @Override
  public List<Task> promoteDue(Instant now, int n) {
    return call(() -> delegate.promoteDue(now, n));
  }

  @Override
  public Optional<Instant> nextRunAt() {
    return call(delegate::nextRunAt);
  }

  @Override
  public List<Task> stale(TaskStatus s, Instant b, int n) {
    return call(() -> delegate.stale(s, b, n));
  }

  @Override
  public List<Task> pendingChildren(Collection<UUID> ids) {
    return call(() -> delegate.pendingChildren(ids));
  }

  @Override
  public Page<Task> query(TaskQuery q) {
    return call(() -> delegate.query(q));
  }

  @Override
  public List<Attempt> attempts(UUID id) {
    return call(() -> delegate.attempts(id));
  }

  @Override
  public void attachLateResult(Attempt a) {
    call(
        () -> {
          delegate.attachLateResult(a);
          return null;
        });
  }

  @Override
  public List<TaskEvent> events(UUID id) {
    return call(() -> delegate.events(id));
  }

  @Override
  public dev.orchestrator.FeedPage feed(dev.orchestrator.FeedQuery q) {
    return call(() -> delegate.feed(q));
  }

  @Override
  public String feedHead() {
    return call(delegate::feedHead);
  }

  @Override
  public List<dev.orchestrator.Activity> activity(Instant since, String owner) {
    return call(() -> delegate.activity(since, owner));
  }

  @Override
  public void recordNode(String nodeId, Instant startedAt, Instant now, int running) {
    call(
        () -> {
          delegate.recordNode(nodeId, startedAt, now, running);
          return null;
        });
  }

  @Override
  public void forgetNode(String nodeId) {
    call(
        () -> {
          delegate.forgetNode(nodeId);
          return null;
        });
  }

  @Override
  public List<dev.orchestrator.NodeInfo> nodes(Instant seenSince) {
    return call(() -> delegate.nodes(seenSince));
  }

  @Override
  public void appendEvent(TaskEvent e) {
    call(
        () -> {
          delegate.appendEvent(e);
          return null;
        });
  }

  @Override
  public List<Lineage.Edge> lineage(UUID id) {
    return call(() -> delegate.lineage(id));
  }

  @Override
  public long purgeTerminal(Instant c, int n) {
    return call(() -> delegate.purgeTerminal(c, n));
  }

  @Override
  public Map<TaskStatus, Long> countByStatus(String owner) {
    return call(() -> delegate.countByStatus(owner));
  }

  @Override
  public List<UsageTotal> usageTotals(String o) {
    return call(() -> delegate.usageTotals(o));
  }

  @Override
  public List<Optional<Task>> updateAll(List<TaskUpdate> updates) {
    return call(() -> delegate.updateAll(updates));
  }

  @Override
  public boolean saveSignal(UUID runId, String name, String payload, Instant at) {
    return call(() -> delegate.saveSignal(runId, name, payload, at));
  }

  @Override
  public Optional<String> signal(UUID runId, String name) {
    return call(() -> delegate.signal(runId, name));
  }

  // ---- recurring schedules ----

  @Override
  public Optional<Schedule> saveSchedule(Schedule schedule) {
    return call(() -> delegate.saveSchedule(schedule));
  }

  @Override
  public Optional<Schedule> schedule(String name) {
    return call(() -> delegate.schedule(name));
  }

  @Override
  public List<Schedule> schedules() {
    return call(delegate::schedules);
  }

  @Override
  public boolean deleteSchedule(String name) {
    return call(() -> delegate.deleteSchedule(name));
  }

  @Override
  public Optional<Schedule> advanceSchedule(
      String name, long expectedVersion, Instant since, Instant nextFire, Instant now) {
    return call(() -> delegate.advanceSchedule(name, expectedVersion, since, nextFire, now));
  }

  @Override
  public List<Schedule> dueSchedules(Instant until, int limit) {
    return call(() -> delegate.dueSchedules(until, limit));
  }
}

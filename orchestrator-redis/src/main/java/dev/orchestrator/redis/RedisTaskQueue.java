package dev.orchestrator.redis;

import dev.orchestrator.Task;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.Tuple;
import redis.clients.jedis.util.KeyValue;

/**
 * The dispatch queue of a cluster with Redis: a sorted set of QUEUED task ids per lane (queue name
 * and type) that every node serving the lane pops from, claiming each popped id in the store. A
 * hint, never the truth: an id whose claim fails is dropped, and what Redis loses the core's
 * reconciler offers again.
 *
 * <pre>{@code
 * TaskQueue queue = RedisTaskQueue.builder().url("redis://127.0.0.1:6379").build();
 * Orchestrator.builder().store(store).queue(queue)...
 * }</pre>
 *
 * <p><b>Order.</b> The score of an id is minus its priority; ids of equal priority are ordered by
 * their member, {@code <turn in hex microseconds><id>}, so a lane's first member is its highest
 * priority, then the earliest {@linkplain Task#turn turn}, then the oldest (ids are time-ordered).
 * An id offered twice is one member.
 *
 * <p><b>Popping.</b> A poll pops at most {@code max} ids (what the node can start soon, so no node
 * hoards work another could start), best first across the lanes of its {@linkplain Claimer#route()
 * route}, in one script; a lane it does not serve is never looked at. When there are none, it
 * blocks in {@code BZPOPMIN} on its lanes until one is offered or {@code maxWait} passes: an idle
 * worker starts the moment a task is offered, with no polling loop. The blocking pop also watches a
 * wake-up key of its own, which {@link #wakeUp} fills.
 *
 * <p><b>Lost hints.</b> The pop script keeps a marker key holding an epoch, created when missing (a
 * new, restarted or flushed Redis). A node that sees an epoch other than the last it saw (every
 * node, after a flush) claims straight from the store ({@link Claimer#claimNext}) until it has
 * caught up, so tasks queued before are not left for the reconciler. When a claim fails in the
 * store, the ids it popped are put back, and the node catches up as well once the store answers: a
 * database that crashed may have lost claims (they commit without waiting for the flush) whose ids
 * were popped already.
 *
 * <p><b>Redis down.</b> Polls claim straight from the store, at most every {@link
 * Builder#fallbackPollInterval} unless an offer on this node wakes them, and try Redis again after
 * a growing backoff; the outage is logged once. Once Redis answers again the node catches up from
 * the store as after a flush.
 *
 * <p>All keys are {@code <prefix>{queue}:...}: one hash tag, so the queue also works on Redis
 * Cluster. Thread-safe; a poll holds one pooled connection while it blocks.
 */
public final class RedisTaskQueue implements TaskQueue {
  /** Longest wait between claims from the store while Redis is down. */
  public static final Duration DEFAULT_FALLBACK_POLL_INTERVAL = Duration.ofMillis(500);

  /** How long a wake-up key lives if no poll consumes it. */
  private static final long WAKE_KEY_TTL_MILLIS = 10_000;

  /**
   * Pops up to ARGV[1] ids from the lanes KEYS[2..], best first across them, as (member, score,
   * lane) triples. The first element of the reply is the marker KEYS[1]: the epoch of this Redis's
   * queue, set to ARGV[2] when missing (a new, restarted or flushed Redis).
   */
  private static final LuaScript POP =
      new LuaScript(
          """
          redis.call('SET', KEYS[1], ARGV[2], 'NX')
          local reply = {redis.call('GET', KEYS[1])}
          local max = tonumber(ARGV[1])
          if #KEYS == 2 then
            local popped = redis.call('ZPOPMIN', KEYS[2], max)
            for i = 1, #popped, 2 do
              table.insert(reply, popped[i])
              table.insert(reply, popped[i + 1])
              table.insert(reply, '0')
            end
            return reply
          end
          local candidates = {}
          for k = 2, #KEYS do
            local head = redis.call('ZRANGE', KEYS[k], 0, max - 1, 'WITHSCORES')
            for i = 1, #head, 2 do
              table.insert(candidates, {head[i], tonumber(head[i + 1]), head[i + 1], k})
            end
          end
          table.sort(candidates, function(a, b)
            if a[2] ~= b[2] then return a[2] < b[2] end
            return a[1] < b[1]
          end)
          for i = 1, math.min(max, #candidates) do
            local c = candidates[i]
            redis.call('ZREM', KEYS[c[4]], c[1])
            table.insert(reply, c[1])
            table.insert(reply, c[3])
            table.insert(reply, tostring(c[4] - 2))
          end
          return reply
          """);

  private final Connecting.Connection connection;
  private final UnifiedJedis jedis;
  private final String markerKey;
  private final String wakeKeyPrefix;
  private final Duration fallbackPollInterval;
  private final Outage outage;

  private final AtomicLong wakeUps = new AtomicLong();
  private final AtomicLong wakeKeys = new AtomicLong();
  private final Set<String> blockedOn = ConcurrentHashMap.newKeySet();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long signals;

  /**
   * When Redis may have lost ids, the time that was noticed: polls claim from the store first until
   * the store's best QUEUED tasks are ones queued since (or it has none left); null otherwise.
   */
  private final AtomicReference<Instant> catchingUpFrom = new AtomicReference<>();

  /** The marker this queue last saw; another one means Redis lost the queue since. */
  private volatile String epoch;

  private volatile boolean closed;

  private RedisTaskQueue(Builder b) {
    this.connection = b.connect();
    this.jedis = connection.jedis();
    this.markerKey = connection.key("queue", ":marker");
    this.wakeKeyPrefix = connection.key("queue", ":wake:" + UUID.randomUUID() + ":");
    this.fallbackPollInterval = b.fallbackPollInterval;
    this.outage =
        new Outage(
            RedisTaskQueue.class,
            "task queue " + connection.keyPrefix(),
            "workers claim straight from the store",
            connection::discardIdle);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A queue on a new client for {@code url} ({@code redis://host:port}), closed with the queue. */
  public static RedisTaskQueue connect(String url) {
    return builder().url(url).build();
  }

  /**
   * False while the queue falls back on the store because Redis failed: from the failure until a
   * call to Redis succeeds again (a health signal).
   */
  public boolean isConnected() {
    return outage.isUp();
  }

  @Override
  public void offer(Collection<Task> tasks) {
    if (tasks.isEmpty()) {
      return;
    }
    if (outage.mayTry()) {
      Map<String, Map<String, Double>> byLane = new HashMap<>();
      for (Task t : tasks) {
        byLane
            .computeIfAbsent(laneKey(t.queue(), t.type()), k -> new HashMap<>())
            .put(member(t), -(double) t.priority());
      }
      try {
        try {
          add(byLane);
        } catch (JedisException stale) {
          // a restarted Redis leaves the pool's idle connections dead: once more on a fresh one
          connection.discardIdle();
          add(byLane);
        }
        if (outage.succeeded()) {
          startCatchingUp();
        }
      } catch (JedisException e) {
        outage.failed(e);
      }
    }
    signal(); // this node's pollers that claim from the store while Redis is down
  }

  private void add(Map<String, Map<String, Double>> byLane) {
    byLane.forEach(jedis::zadd);
  }

  /**
   * The sorted set of a lane: {@code ready:<length of the queue name>:<queue>:<type>}, so no two
   * (queue, type) pairs share a key whatever characters their names hold.
   */
  private String laneKey(String queue, String type) {
    return connection.key("queue", ":ready:" + queue.length() + ":" + queue + ":" + type);
  }

  /** The lane keys of a route, in a fixed order. */
  private List<String> laneKeys(Route route) {
    List<String> keys = new ArrayList<>();
    for (String q : new TreeSet<>(route.queues())) {
      for (String type : new TreeSet<>(route.types())) {
        keys.add(laneKey(q, type));
      }
    }
    return keys;
  }

  @Override
  public List<Task> poll(Claimer claimer, int max, Duration maxWait) throws InterruptedException {
    if (max <= 0 || closed) {
      return List.of();
    }
    long deadline = System.nanoTime() + maxWait.toNanos();
    long seenWakeUps = wakeUps.get();
    if (outage.mayTry()) {
      try {
        return pollRedis(claimer, max, deadline, seenWakeUps);
      } catch (JedisException e) {
        outage.failed(e);
      }
    }
    return pollStore(claimer, max, deadline, seenWakeUps);
  }

  private List<Task> pollRedis(Claimer claimer, int max, long deadline, long seenWakeUps)
      throws InterruptedException {
    String wakeKey = wakeKeyPrefix + wakeKeys.incrementAndGet();
    List<String> lanes = laneKeys(claimer.route());
    String[] blockOn = new String[lanes.size() + 1];
    lanes.toArray(blockOn);
    blockOn[lanes.size()] = wakeKey;
    blockedOn.add(wakeKey);
    try {
      while (true) {
        List<Task> claimed = new ArrayList<>();
        Instant from = catchingUpFrom.get();
        if (from != null) {
          // the ids Redis lost are among the store's best QUEUED tasks: those go first, so that a
          // busy Redis never keeps them waiting for the reconciler
          List<Task> fromStore = claimer.claimNext(max);
          if (fromStore.size() < max
              || fromStore.stream().allMatch(t -> t.runAt() != null && !t.runAt().isBefore(from))) {
            catchingUpFrom.compareAndSet(from, null); // not a loss noticed since, by another poll
          }
          claimed.addAll(fromStore);
        }
        if (claimed.size() < max) {
          claimed.addAll(claim(claimer, popNow(lanes, max - claimed.size())));
        }
        long remaining = deadline - System.nanoTime();
        // a whole millisecond at least: BZPOPMIN's timeout 0 would mean forever
        if (!claimed.isEmpty()
            || remaining < TimeUnit.MILLISECONDS.toNanos(1)
            || wakeUps.get() != seenWakeUps
            || closed) {
          return claimed;
        }
        // in slices, so a dead connection shows within the socket timeout
        long slice =
            Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(Connecting.MAX_BLOCK_MILLIS));
        KeyValue<String, Tuple> popped = jedis.bzpopmin(slice / 1e9, blockOn);
        if (popped != null) {
          if (popped.getKey().equals(wakeKey)) {
            return List.of(); // woken up
          }
          // claimed at once, alone: the next poll pops the rest, up to the slots then free
          Tuple first = popped.getValue();
          return claim(
              claimer, List.of(new Popped(first.getElement(), first.getScore(), popped.getKey())));
        }
      }
    } finally {
      blockedOn.remove(wakeKey);
    }
  }

  /** A member popped from a lane, to claim or put back. */
  private record Popped(String member, double score, String lane) {}

  /**
   * Pops up to {@code max} members at once, best first across the lanes, noticing a Redis that lost
   * the queue.
   */
  private List<Popped> popNow(List<String> lanes, int max) {
    List<String> keys = new ArrayList<>(lanes.size() + 1);
    keys.add(markerKey);
    keys.addAll(lanes);
    List<?> reply =
        (List<?>)
            POP.run(jedis, keys, List.of(Integer.toString(max), UUID.randomUUID().toString()));
    boolean recovered = outage.succeeded();
    String seen = (String) reply.get(0);
    if (recovered || !seen.equals(epoch)) {
      epoch = seen;
      startCatchingUp();
    }
    List<Popped> popped = new ArrayList<>();
    for (int i = 1; i + 2 < reply.size(); i += 3) {
      popped.add(
          new Popped(
              (String) reply.get(i),
              Double.parseDouble((String) reply.get(i + 1)),
              lanes.get(Integer.parseInt((String) reply.get(i + 2)))));
    }
    return popped;
  }

  private void startCatchingUp() {
    catchingUpFrom.compareAndSet(null, Instant.now());
  }

  /**
   * Claims popped ids; when the claim fails, puts them back for another node and catches up from
   * the store once it answers.
   */
  private List<Task> claim(Claimer claimer, List<Popped> popped) {
    if (popped.isEmpty()) {
      return List.of();
    }
    List<UUID> ids = new ArrayList<>(popped.size());
    for (Popped p : popped) {
      ids.add(idOf(p.member()));
    }
    try {
      return claimer.claim(ids);
    } catch (RuntimeException e) {
      // the store is in trouble: a database that crashed may have lost claims that committed
      // without waiting for the flush, leaving tasks QUEUED whose ids were popped already
      startCatchingUp();
      try {
        Map<String, Map<String, Double>> byLane = new HashMap<>();
        for (Popped p : popped) {
          byLane.computeIfAbsent(p.lane(), k -> new HashMap<>()).put(p.member(), p.score());
        }
        add(byLane);
      } catch (JedisException lost) {
        e.addSuppressed(lost); // the reconciler offers them again
      }
      throw e;
    }
  }

  /** While Redis is down: claims from the store, waiting for an offer on this node if none. */
  private List<Task> pollStore(Claimer claimer, int max, long deadline, long seenWakeUps)
      throws InterruptedException {
    long seenSignals = signals();
    List<Task> claimed = claimer.claimNext(max);
    if (!claimed.isEmpty()) {
      return claimed;
    }
    long wait =
        Math.min(
            deadline - System.nanoTime(),
            Math.min(fallbackPollInterval.toNanos(), Math.max(1, outage.backoffNanos())));
    lock.lockInterruptibly();
    try {
      while (signals == seenSignals && wakeUps.get() == seenWakeUps && wait > 0 && !closed) {
        wait = changed.awaitNanos(wait);
      }
    } finally {
      lock.unlock();
    }
    return wakeUps.get() == seenWakeUps && !closed ? claimer.claimNext(max) : List.of();
  }

  @Override
  public void wakeUp() {
    wakeUps.incrementAndGet();
    signal();
    for (String key : blockedOn) {
      try {
        jedis.zadd(key, 0, "wake");
        jedis.pexpire(key, WAKE_KEY_TTL_MILLIS);
      } catch (JedisException e) {
        // the blocked poll fails on the same outage and returns
      }
    }
  }

  /** Wakes every poll; closes the client if the queue built it. */
  @Override
  public void close() {
    closed = true;
    wakeUp();
    connection.closeIfOwned();
  }

  private void signal() {
    lock.lock();
    try {
      signals++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private long signals() {
    lock.lock();
    try {
      return signals;
    } finally {
      lock.unlock();
    }
  }

  /** {@code <turn: 16 hex digits of epoch microseconds><id>}: sorts by turn, then id. */
  static String member(Task t) {
    return String.format("%016x", micros(t.turn())) + t.id();
  }

  static UUID idOf(String member) {
    return UUID.fromString(member.substring(16));
  }

  private static long micros(Instant at) {
    if (at == null || at.isBefore(Instant.EPOCH)) {
      return 0;
    }
    try {
      return Math.addExact(
          Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1000);
    } catch (ArithmeticException far) {
      return Long.MAX_VALUE;
    }
  }

  /** Configures a queue: the client ({@link #jedis} or {@link #url}) and optionally the rest. */
  public static final class Builder extends Connecting<Builder> {
    private Duration fallbackPollInterval = DEFAULT_FALLBACK_POLL_INTERVAL;

    private Builder() {}

    /** Longest wait between claims from the store while Redis is down; default 500 ms. */
    public Builder fallbackPollInterval(Duration value) {
      Objects.requireNonNull(value, "fallbackPollInterval");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("fallbackPollInterval must be positive: " + value);
      }
      fallbackPollInterval = value;
      return this;
    }

    public RedisTaskQueue build() {
      return new RedisTaskQueue(this);
    }
  }
}

package dev.orchestrator.redis;

import dev.orchestrator.memory.InMemoryRateLimiter;
import dev.orchestrator.memory.InMemoryRateLimiter.Limit;
import dev.orchestrator.spi.RateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Cluster-wide rate limits per model: at most {@code requestsPerSecond} calls start in any sliding
 * second and at most {@code tokensPerMinute} tokens in any sliding minute, across every node that
 * shares the Redis and key prefix; optionally also per owner (tenant) of a model.
 *
 * <pre>{@code
 * RedisRateLimiter limiter = RedisRateLimiter.builder()
 *     .url("redis://127.0.0.1:6379")
 *     .limit("gpt-4o-mini", 50, 200_000)      // 50 requests/s, 200k tokens/min, cluster-wide
 *     .ownerLimit("gpt-4o-mini", 5, 20_000)   // and each owner at most a tenth of it
 *     .build();
 * }</pre>
 *
 * <p><b>How.</b> Each acquire runs one Lua script, atomically, on Redis's own clock: it reserves
 * the earliest start that keeps every window of the call (the model's, the owner's) within its
 * limits, after every earlier reservation (first come, first served, as {@link
 * InMemoryRateLimiter}) and at least {@code 1 s / requestsPerSecond} after the previous one, and
 * returns how long to wait. The caller then sleeps exactly that long: one round trip per call, no
 * retry loop. Calls are paced evenly rather than let out in bursts, and each window is held 20 ms
 * longer than its second or minute, so the jitter with which waiting callers wake never lets the
 * provider see more than the limit in any second. A window is a sorted set of reservations (score:
 * start in microseconds, member: {@code <sequence>:<tokens>}) plus the sum of its tokens; the
 * script trims what left the window, so its work stays proportional to the calls that must pass
 * before this one. Keys are {@code <prefix>{rate:<model>}:...}, one hash tag per model, and expire
 * once idle.
 *
 * <p><b>Actual tokens.</b> A call reserves its estimate; {@link #settle} replaces the estimate with
 * what the call really used, so a call that used fewer gives the rest back (and one that used more
 * holds the window longer).
 *
 * <p><b>Redis down.</b> Calls are limited by an in-memory limiter with the same model limits, per
 * node: a WARN says the quotas are now per node, and Redis is tried again after a growing backoff.
 */
public final class RedisRateLimiter implements RateLimiter, AutoCloseable {

  /**
   * KEYS: per window a reservation set and a token sum, then the sequence. ARGV: tokens, then per
   * window its requests per second and tokens per minute. Returns {wait in microseconds, member}.
   */
  private static final LuaScript RESERVE =
      new LuaScript(
          """
          local SECOND, MINUTE = 1020000, 60020000
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
          local tokens = tonumber(ARGV[1])
          local windows = (#KEYS - 1) / 2
          local start = now
          for w = 0, windows - 1 do
            local log, sum = KEYS[2 * w + 1], KEYS[2 * w + 2]
            local rps, tpm = tonumber(ARGV[2 * w + 2]), tonumber(ARGV[2 * w + 3])
            local horizon = string.format('(%.0f', now - (tpm > 0 and MINUTE or SECOND))
            local gone = redis.call('ZRANGEBYSCORE', log, '-inf', horizon)
            if #gone > 0 then
              local freed = 0
              for _, m in ipairs(gone) do freed = freed + tonumber(string.match(m, ':(%d+)$')) end
              redis.call('ZREMRANGEBYSCORE', log, '-inf', horizon)
              redis.call('DECRBY', sum, freed)
            end
            local last = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
            if last[2] then
              -- first come, first served; calls of one model paced evenly over the second
              start = math.max(start, tonumber(last[2]) + (rps > 0 and math.floor(SECOND / rps) or 0))
            end
            if rps > 0 then
              local nth = redis.call('ZRANGE', log, -rps, -rps, 'WITHSCORES')
              if nth[2] then start = math.max(start, tonumber(nth[2]) + SECOND) end
            end
            if tpm > 0 then
              local inWindow = tonumber(redis.call('GET', sum) or '0')
              local offset = 0
              while inWindow + tokens > tpm do
                local batch = redis.call('ZRANGE', log, offset, offset + 99, 'WITHSCORES')
                if #batch == 0 then break end
                for i = 1, #batch, 2 do
                  if inWindow + tokens <= tpm then break end
                  start = math.max(start, tonumber(batch[i + 1]) + MINUTE)
                  inWindow = inWindow - tonumber(string.match(batch[i], ':(%d+)$'))
                end
                offset = offset + 100
              end
            end
          end
          local member = redis.call('INCR', KEYS[#KEYS]) .. ':' .. ARGV[1]
          local ttl = math.floor((start - now) / 1000) + 61000
          local score = string.format('%.0f', start)
          for w = 0, windows - 1 do
            redis.call('ZADD', KEYS[2 * w + 1], score, member)
            redis.call('INCRBY', KEYS[2 * w + 2], tokens)
            redis.call('PEXPIRE', KEYS[2 * w + 1], ttl)
            redis.call('PEXPIRE', KEYS[2 * w + 2], ttl)
          end
          redis.call('PEXPIRE', KEYS[#KEYS], ttl)
          return {start - now, member}
          """);

  /**
   * KEYS: per window a reservation set and a token sum. ARGV: the reserved member, the tokens used.
   * Replaces the reservation's tokens where it is still in its window.
   */
  private static final LuaScript SETTLE =
      new LuaScript(
          """
          local reserved = tonumber(string.match(ARGV[1], ':(%d+)$'))
          local used = tonumber(ARGV[2])
          local member = string.match(ARGV[1], '^(%d+):') .. ':' .. ARGV[2]
          for w = 0, #KEYS / 2 - 1 do
            local log, sum = KEYS[2 * w + 1], KEYS[2 * w + 2]
            local start = redis.call('ZSCORE', log, ARGV[1])
            if start then
              redis.call('ZREM', log, ARGV[1])
              redis.call('ZADD', log, start, member)
              redis.call('INCRBY', sum, used - reserved)
            end
          end
          return 0
          """);

  private final Connecting.Connection connection;
  private final UnifiedJedis jedis;
  private final Map<String, Limit> limits;
  private final Limit defaultLimit;
  private final Map<String, Limit> ownerLimits;
  private final InMemoryRateLimiter perNode;
  private final Outage outage;

  /** The last reservation of each thread, for {@link #settle}. */
  private final ThreadLocal<Reservation> lastReservation = new ThreadLocal<>();

  private record Window(String log, String sum, Limit limit) {}

  private record Reservation(String model, List<Window> windows, String member) {}

  private RedisRateLimiter(Builder b) {
    this.connection = b.connect();
    this.jedis = connection.jedis();
    this.limits = Map.copyOf(b.limits);
    this.defaultLimit = b.defaultLimit;
    this.ownerLimits = Map.copyOf(b.ownerLimits);
    InMemoryRateLimiter.Builder local = InMemoryRateLimiter.builder();
    b.limits.forEach((m, l) -> local.limit(m, l.requestsPerSecond(), l.tokensPerMinute()));
    if (defaultLimit != null) {
      local.defaultLimit(defaultLimit.requestsPerSecond(), defaultLimit.tokensPerMinute());
    }
    this.perNode = local.build();
    this.outage =
        new Outage(
            RedisRateLimiter.class,
            "rate limiter " + connection.keyPrefix(),
            "rate limits are now enforced PER NODE (in memory), not cluster-wide",
            connection::discardIdle);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * False while limits hold per node because Redis failed: from the failure until a call to Redis
   * succeeds again (a health signal).
   */
  public boolean isConnected() {
    return outage.isUp();
  }

  @Override
  public Duration acquire(String model, long tokens) throws InterruptedException {
    return acquire(model, null, tokens);
  }

  /**
   * Blocks until a call to {@code model} on behalf of {@code owner}, estimated at {@code tokens}
   * tokens, may start within the model's limits and the owner's limits of that model.
   *
   * @param owner the task's owner, or null to apply the model's limits only
   * @return how long the caller waited
   * @throws InterruptedException when interrupted while waiting; the reservation stays counted
   */
  @Override
  public Duration acquire(String model, String owner, long tokens) throws InterruptedException {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens must not be negative");
    }
    lastReservation.remove();
    List<Window> windows = windows(model, owner);
    if (windows.isEmpty()) {
      return Duration.ZERO;
    }
    long begin = System.nanoTime();
    if (!outage.mayTry()) {
      return perNode.acquire(model, tokens);
    }
    List<?> reply;
    try {
      List<String> keys = keys(windows);
      keys.add(connection.key(group(model), ":seq"));
      reply = (List<?>) RESERVE.run(jedis, keys, reserveArgs(windows, tokens));
      outage.succeeded();
    } catch (JedisException e) {
      outage.failed(e);
      return perNode.acquire(model, tokens);
    }
    lastReservation.set(new Reservation(model, windows, (String) reply.get(1)));
    long wait = (Long) reply.get(0);
    if (wait > 0) {
      TimeUnit.MICROSECONDS.sleep(wait);
    } else if (Thread.interrupted()) {
      throw new InterruptedException("interrupted while waiting for the rate limit");
    }
    return Duration.ofNanos(System.nanoTime() - begin);
  }

  /**
   * Reconciles the calling thread's last {@link #acquire} for {@code model} with the tokens the
   * call really used: the window keeps {@code usedTokens} instead of the estimate. Does nothing
   * when this thread's last acquire was for another model or was not limited, or when Redis is
   * down.
   *
   * @param reservedTokens the estimate passed to acquire (checked against the reservation)
   * @param usedTokens input and output tokens the call used
   */
  @Override
  public void settle(String model, long reservedTokens, long usedTokens) {
    if (usedTokens < 0) {
      throw new IllegalArgumentException("usedTokens must not be negative");
    }
    Reservation r = lastReservation.get();
    lastReservation.remove();
    if (r == null
        || !Objects.equals(r.model(), model)
        || !r.member().endsWith(":" + reservedTokens)
        || reservedTokens == usedTokens
        || !outage.mayTry()) {
      return;
    }
    try {
      SETTLE.run(jedis, keys(r.windows()), List.of(r.member(), Long.toString(usedTokens)));
      outage.succeeded();
    } catch (JedisException e) {
      outage.failed(e);
    }
  }

  /** Closes the client if the limiter built it. */
  @Override
  public void close() {
    connection.closeIfOwned();
  }

  private List<Window> windows(String model, String owner) {
    String name = model == null ? "" : model;
    List<Window> windows = new ArrayList<>(2);
    Limit modelLimit = limits.getOrDefault(name, defaultLimit);
    if (limited(modelLimit)) {
      windows.add(window(model, "", modelLimit));
    }
    Limit ownerLimit = ownerLimits.get(name);
    if (owner != null && limited(ownerLimit)) {
      windows.add(window(model, ":owner:" + owner, ownerLimit));
    }
    return windows;
  }

  /** The hash tag of a model's keys. */
  private static String group(String model) {
    return "rate:" + (model == null ? "" : model);
  }

  private Window window(String model, String scope, Limit limit) {
    return new Window(
        connection.key(group(model), scope + ":log"),
        connection.key(group(model), scope + ":sum"),
        limit);
  }

  private static boolean limited(Limit limit) {
    return limit != null && (limit.requestsPerSecond() > 0 || limit.tokensPerMinute() > 0);
  }

  private static List<String> keys(List<Window> windows) {
    List<String> keys = new ArrayList<>(2 * windows.size() + 1);
    for (Window w : windows) {
      keys.add(w.log());
      keys.add(w.sum());
    }
    return keys;
  }

  private static List<String> reserveArgs(List<Window> windows, long tokens) {
    List<String> args = new ArrayList<>(1 + 2 * windows.size());
    args.add(Long.toString(tokens));
    for (Window w : windows) {
      args.add(Integer.toString(w.limit().requestsPerSecond()));
      args.add(Long.toString(w.limit().tokensPerMinute()));
    }
    return args;
  }

  /** Limits per model and per owner of a model; models without a limit are not limited. */
  public static final class Builder extends Connecting<Builder> {
    private final Map<String, Limit> limits = new HashMap<>();
    private final Map<String, Limit> ownerLimits = new HashMap<>();
    private Limit defaultLimit;

    private Builder() {}

    /**
     * Limits calls to {@code model} across the cluster.
     *
     * @param requestsPerSecond calls started in any sliding second; 0 for no limit
     * @param tokensPerMinute tokens of the calls started in any sliding minute; 0 for no limit
     */
    public Builder limit(String model, int requestsPerSecond, long tokensPerMinute) {
      limits.put(
          Objects.requireNonNull(model, "model"), new Limit(requestsPerSecond, tokensPerMinute));
      return this;
    }

    /** The limit of every model without its own (and of calls that name no model). */
    public Builder defaultLimit(int requestsPerSecond, long tokensPerMinute) {
      defaultLimit = new Limit(requestsPerSecond, tokensPerMinute);
      return this;
    }

    /**
     * Limits each owner's calls to {@code model} across the cluster, on top of the model's limit;
     * applies to {@link RedisRateLimiter#acquire(String, String, long)}, and only while Redis is
     * up.
     */
    public Builder ownerLimit(String model, int requestsPerSecond, long tokensPerMinute) {
      ownerLimits.put(
          Objects.requireNonNull(model, "model"), new Limit(requestsPerSecond, tokensPerMinute));
      return this;
    }

    public RedisRateLimiter build() {
      return new RedisRateLimiter(this);
    }
  }
}

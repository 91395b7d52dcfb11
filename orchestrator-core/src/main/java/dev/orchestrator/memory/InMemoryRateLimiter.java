package dev.orchestrator.memory;

import dev.orchestrator.spi.RateLimiter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-model rate limits of one node: at most {@code requestsPerSecond} calls start in any sliding
 * second, and at most {@code tokensPerMinute} estimated tokens start in any sliding minute.
 *
 * <pre>{@code
 * RateLimiter limiter = InMemoryRateLimiter.builder()
 *     .limit("gpt-4o-mini", 50, 200_000)      // 50 requests/s, 200k tokens/min
 *     .limit("llama3", 5, 0)                  // 5 requests/s, tokens unlimited
 *     .defaultLimit(10, 100_000)              // every other model (none: unlimited)
 *     .build();
 * }</pre>
 *
 * <p>Fair: callers for one model are served first come, first served; a later call never overtakes
 * an earlier one, even when it would fit, so a large request cannot starve. Each call reserves the
 * earliest start that keeps both windows within their limits, after every earlier reservation, then
 * sleeps until it (interruptibly). A caller interrupted while it waits gives up its call but not
 * its reservation: the slot stays counted, which can only make the limiter stricter. A single call
 * estimated above the whole {@code tokensPerMinute} waits until the minute before it holds no other
 * call, then starts alone.
 *
 * <p>Thread-safe; the work under the lock is small and never sleeps. For a limit shared by several
 * nodes, use the Redis rate limiter.
 */
public final class InMemoryRateLimiter implements RateLimiter {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

  /**
   * The limits of one model; a value of 0 means that measure is not limited.
   *
   * @param requestsPerSecond calls started in any sliding second
   * @param tokensPerMinute estimated tokens of the calls started in any sliding minute
   */
  public record Limit(int requestsPerSecond, long tokensPerMinute) {
    public Limit {
      if (requestsPerSecond < 0 || tokensPerMinute < 0) {
        throw new IllegalArgumentException("limits must not be negative (0: unlimited)");
      }
    }
  }

  private final Map<String, Limit> limits;
  private final Limit defaultLimit;
  private final LongSupplier nanoTime;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  private InMemoryRateLimiter(Builder b) {
    this.limits = Map.copyOf(b.limits);
    this.defaultLimit = b.defaultLimit;
    this.nanoTime = b.nanoTime;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The limit that applies to a model, or null when it is unlimited. */
  public Limit limitOf(String model) {
    Limit limit = limits.get(key(model));
    return limit != null ? limit : defaultLimit;
  }

  @Override
  public Duration acquire(String model, long tokens) throws InterruptedException {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens must not be negative");
    }
    long begin = nanoTime.getAsLong();
    long start = reserve(model, tokens);
    long now = begin;
    while (start - now > 0) {
      TimeUnit.NANOSECONDS.sleep(start - now);
      now = nanoTime.getAsLong();
    }
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted while waiting for the rate limit");
    }
    return Duration.ofNanos(Math.max(0, now - begin));
  }

  /**
   * Reserves the earliest start, in the time source's nanoseconds, at which a call of {@code
   * tokens} to {@code model} may begin; does not wait. The core of {@link #acquire}, exposed to the
   * package for deterministic tests.
   */
  long reserve(String model, long tokens) {
    Limit limit = limitOf(model);
    if (limit == null || (limit.requestsPerSecond() == 0 && limit.tokensPerMinute() == 0)) {
      return nanoTime.getAsLong();
    }
    Window window = windows.computeIfAbsent(key(model), k -> new Window(limit));
    synchronized (window) {
      return window.reserve(nanoTime.getAsLong(), tokens);
    }
  }

  private static String key(String model) {
    return model == null ? "" : model;
  }

  /**
   * The reservations of one model, in start order. Times are {@code System.nanoTime()}-style
   * values, so they are only ever compared by difference.
   */
  private static final class Window {
    private final Limit limit;
    // starts of the latest calls, at most requestsPerSecond of them
    private final ArrayDeque<Long> recentStarts = new ArrayDeque<>();
    // start and tokens of the calls of the last minute (and of future reservations)
    private final ArrayDeque<long[]> tokenLog = new ArrayDeque<>();
    private long tokensInLog;
    private long lastStart;
    private boolean any;

    Window(Limit limit) {
      this.limit = limit;
    }

    long reserve(long now, long tokens) {
      long start = any && lastStart - now > 0 ? lastStart : now;
      int rps = limit.requestsPerSecond();
      if (rps > 0 && recentStarts.size() == rps) {
        start = later(start, recentStarts.peekFirst() + SECOND);
      }
      long tpm = limit.tokensPerMinute();
      if (tpm > 0) {
        while (!tokenLog.isEmpty() && now - tokenLog.peekFirst()[0] >= MINUTE) {
          tokensInLog -= tokenLog.pollFirst()[1];
        }
        long inWindow = tokensInLog;
        for (long[] entry : tokenLog) {
          if (inWindow + tokens <= tpm) {
            break;
          }
          // the window must slide past this call before ours fits
          start = later(start, entry[0] + MINUTE);
          inWindow -= entry[1];
        }
        tokenLog.addLast(new long[] {start, tokens});
        tokensInLog += tokens;
      }
      if (rps > 0) {
        recentStarts.addLast(start);
        if (recentStarts.size() > rps) {
          recentStarts.pollFirst();
        }
      }
      lastStart = start;
      any = true;
      return start;
    }

    private static long later(long a, long b) {
      return b - a > 0 ? b : a;
    }
  }

  /** Limits per model; models without a limit, and without a default, are not limited. */
  public static final class Builder {
    private final Map<String, Limit> limits = new HashMap<>();
    private Limit defaultLimit;
    private LongSupplier nanoTime = System::nanoTime;

    /**
     * Limits calls to {@code model}.
     *
     * @param requestsPerSecond calls started in any sliding second; 0 for no limit
     * @param tokensPerMinute estimated tokens started in any sliding minute; 0 for no limit
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

    /** The time source, in nanoseconds as {@link System#nanoTime()}; for tests. */
    public Builder nanoTime(LongSupplier source) {
      nanoTime = Objects.requireNonNull(source, "source");
      return this;
    }

    public InMemoryRateLimiter build() {
      return new InMemoryRateLimiter(this);
    }
  }
}

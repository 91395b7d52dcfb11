package dev.orchestrator.redis;

import java.util.Objects;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * What every Redis component's builder shares: the client (the host's, or one built from a URL and
 * then owned by the component) and the prefix of every key.
 *
 * @param <B> the concrete builder
 */
abstract class Connecting<B extends Connecting<B>> {
  /** The prefix of every key when none is set. */
  static final String DEFAULT_KEY_PREFIX = "orch:";

  /**
   * Longest one blocking command waits on the server ({@code BZPOPMIN}; the event bus pings its
   * subscription as often), so that a connection that died silently is noticed within {@link
   * #BLOCKING_SOCKET_TIMEOUT_MILLIS}.
   */
  static final long MAX_BLOCK_MILLIS = 2_000;

  /** Socket timeout of blocking commands and pub/sub on clients built from a URL. */
  static final int BLOCKING_SOCKET_TIMEOUT_MILLIS = 5_000;

  private UnifiedJedis jedis;
  private String url;
  private String keyPrefix = DEFAULT_KEY_PREFIX;

  /**
   * The client to use, e.g. a {@link RedisClient}, a {@code RedisClusterClient} or any other {@link
   * UnifiedJedis}. The component never closes it: its owner does.
   */
  public B jedis(UnifiedJedis value) {
    jedis = Objects.requireNonNull(value, "jedis");
    url = null;
    return self();
  }

  /**
   * Connects to {@code redis://[user:password@]host:port[/database]} with a pool of its own, closed
   * with the component, whose blocking commands and subscription time out after 5 s without an
   * answer (a client passed to {@link #jedis} should set {@code blockingSocketTimeoutMillis} alike:
   * without it, a connection that dies silently, with no reset, blocks forever).
   */
  public B url(String value) {
    url = Objects.requireNonNull(value, "url");
    jedis = null;
    return self();
  }

  /**
   * The prefix of every key and channel (default {@value #DEFAULT_KEY_PREFIX}): orchestrators that
   * should share a queue, limits or events use the same one.
   */
  public B keyPrefix(String value) {
    Objects.requireNonNull(value, "keyPrefix");
    if (value.indexOf('{') >= 0 || value.indexOf('}') >= 0) {
      throw new IllegalArgumentException("keyPrefix must not hold { or } (hash tags): " + value);
    }
    keyPrefix = value;
    return self();
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The configured client, or a new one from the URL. */
  final Connection connect() {
    if (jedis != null) {
      return new Connection(jedis, false, keyPrefix);
    }
    if (url == null) {
      throw new IllegalStateException("set jedis(..) or url(..)");
    }
    RedisClient client =
        RedisClient.builder()
            .clientConfig(
                DefaultJedisClientConfig.builder()
                    .blockingSocketTimeoutMillis(BLOCKING_SOCKET_TIMEOUT_MILLIS)
                    .build())
            .fromURI(url)
            .build();
    return new Connection(client, true, keyPrefix);
  }

  /**
   * A component's client.
   *
   * @param jedis the client
   * @param owned whether the component closes it
   * @param keyPrefix the prefix of its keys
   */
  record Connection(UnifiedJedis jedis, boolean owned, String keyPrefix) {
    /**
     * A key of {@code group}: all keys of one group share the hash tag {@code {group}}, so a script
     * on them runs on Redis Cluster too.
     */
    String key(String group, String suffix) {
      return keyPrefix + "{" + group + "}" + suffix;
    }

    /** Drops the idle connections of a pooled standalone client (after a failure). */
    void discardIdle() {
      if (jedis instanceof RedisClient pooled) {
        try {
          pooled.getPool().clear();
        } catch (RuntimeException e) {
          // nothing to drop, or the pool is closing
        }
      }
    }

    void closeIfOwned() {
      if (owned) {
        jedis.close();
      }
    }
  }
}

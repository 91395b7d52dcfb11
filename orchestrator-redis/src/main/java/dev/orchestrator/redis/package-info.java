/**
 * Redis adapters of the core's ports, for a cluster of nodes that share a store: {@link
 * dev.orchestrator.redis.RedisTaskQueue} (fast dispatch with priorities and a blocking pop), {@link
 * dev.orchestrator.redis.RedisRateLimiter} (per-model limits across the cluster, one Lua script per
 * call) and {@link dev.orchestrator.redis.RedisEventBus} (every node hears every event: cross-node
 * cancel, await, listeners).
 *
 * <p>Redis is never the source of truth: the store is. Losing Redis, or its data, costs latency and
 * never a task: the queue falls back on claiming from the store, the limiter on per-node limits,
 * the bus on the heartbeat; each logs the outage once and returns to Redis when it answers again.
 * All keys start with one configurable prefix, and the keys of one script share a hash tag, so the
 * adapters run on Redis Cluster too.
 */
package dev.orchestrator.redis;

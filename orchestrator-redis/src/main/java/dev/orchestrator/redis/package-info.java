/** Redis adapters: dispatch queue, cluster-wide rate limiter, event bus. Not built yet. */
package dev.orchestrator.redis;

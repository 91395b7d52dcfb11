package dev.orchestrator;

import java.time.Instant;
import java.util.Objects;

/**
 * A node (an orchestrator instance) as the store last heard of it: each node records itself every
 * heartbeat, and forgets itself on a graceful shutdown.
 *
 * @param nodeId the node's id
 * @param startedAt when it started
 * @param lastSeen its last heartbeat
 * @param running attempts it ran at that heartbeat
 */
public record NodeInfo(String nodeId, Instant startedAt, Instant lastSeen, int running) {
  public NodeInfo {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(lastSeen, "lastSeen");
  }
}

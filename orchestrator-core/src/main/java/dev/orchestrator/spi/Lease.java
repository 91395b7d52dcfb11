package dev.orchestrator.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * The lease a claim grants.
 *
 * @param owner the node claiming
 * @param now the claim time (becomes the attempt's start)
 * @param expiresAt when the lease runs out unless renewed
 */
public record Lease(String owner, Instant now, Instant expiresAt) {
  public Lease {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}

package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.spi.TaskStore;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers the tasks of crashed nodes: a RUNNING task whose lease expired has its attempt recorded
 * as LEASE_EXPIRED and goes to retry or FAILED. Runs on every node; the compare-and-set makes
 * concurrent reapers safe. Internal.
 */
final class Reaper {
  private static final Logger log = LoggerFactory.getLogger(Reaper.class);

  private final TaskStore store;
  private final Transitioner transitioner;
  private final int batchSize;

  Reaper(TaskStore store, Transitioner transitioner, int batchSize) {
    this.store = store;
    this.transitioner = transitioner;
    this.batchSize = batchSize;
  }

  /**
   * Reaps every expired lease, batch after batch.
   *
   * @return how many tasks this call recovered
   */
  int reap() {
    int reaped = 0;
    List<Task> expired;
    do {
      expired = store.expiredLeases(transitioner.clock().now(), batchSize);
      int before = reaped;
      for (Task t : expired) {
        if (transitioner.expireLease(t).isPresent()) {
          reaped++;
          log.warn("recovered task {} from expired lease of {}", t.id(), t.leaseOwner());
        }
      }
      if (reaped == before) {
        break; // others reaped this batch; they will take the rest too
      }
    } while (expired.size() == batchSize);
    return reaped;
  }
}

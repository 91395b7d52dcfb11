package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.spi.TaskStore;
import java.util.List;
import java.util.Optional;
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
      // the whole batch in one store call; each task is still its own compare-and-set
      List<Optional<Task>> results =
          transitioner.applyAll(expired.stream().map(transitioner::leaseExpiry).toList());
      for (int i = 0; i < expired.size(); i++) {
        if (results.get(i).isPresent()) {
          reaped++;
          Task t = expired.get(i);
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

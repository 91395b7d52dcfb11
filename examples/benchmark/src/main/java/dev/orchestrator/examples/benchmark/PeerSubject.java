package dev.orchestrator.examples.benchmark;

import static dev.orchestrator.examples.benchmark.Workload.POOL_SIZE;
import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration.JobRunrConfigurationResult;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * A peer a user would otherwise pick, as a system under test on the same PostgreSQL, running the
 * same phases with a task that is {@link Probe#run} (nothing, or the io scenario's sleep). Each
 * peer works in a schema of its own ({@code peer_dbscheduler}, {@code peer_jobrunr}), created
 * before each phase and dropped after. Their statements are not counted; the database's figures
 * are.
 *
 * <p>The end of a run is when the peer's own table says the last task is done (looked at every few
 * milliseconds once every handler has been called); the handler calls are checked against it.
 */
abstract class PeerSubject implements Subject {
  private final Postgres pg;

  PeerSubject(String jdbcUrl) {
    this.pg = new Postgres(jdbcUrl);
  }

  /** The peer by its name on the command line, or null. */
  static PeerSubject of(String impl, String jdbcUrl) {
    return switch (impl) {
      case "db-scheduler" -> new DbScheduler(jdbcUrl);
      case "jobrunr" -> new JobRunrPeer(jdbcUrl);
      default -> null;
    };
  }

  abstract String schema();

  @Override
  public Postgres postgres() {
    return pg;
  }

  @Override
  public LongAdder statements() {
    return null;
  }

  @Override
  public String tables() {
    return "schemaname = '" + schema() + "'";
  }

  @Override
  public void prepare() throws Exception {
    DataSource oneOff = pg.oneOff();
    Postgres.execute(
        oneOff, "DROP SCHEMA IF EXISTS " + schema() + " CASCADE", "CREATE SCHEMA " + schema());
    createTables(oneOff);
  }

  abstract void createTables(DataSource oneOff) throws Exception;

  @Override
  public void drop() throws Exception {
    Postgres.execute(pg.oneOff(), "DROP SCHEMA IF EXISTS " + schema() + " CASCADE");
  }

  /** A phase of a peer: its pools, and what it submits through. */
  abstract class PeerPhase implements Phase {
    final List<AutoCloseable> parts = new ArrayList<>();
    final HikariDataSource db = pool("bench-" + impl());
    long submitted;

    HikariDataSource pool(String name) {
      HikariDataSource pool = pg.pool(POOL_SIZE, name);
      parts.add(0, pool);
      return pool;
    }

    /** How many tasks its table holds as done. */
    abstract long done() throws Exception;

    /** How many tasks its table holds as waiting to run. */
    abstract long waiting() throws Exception;

    @Override
    public long awaitDone(long count, Duration timeout) throws Exception {
      Probe.awaitStarted(count, timeout);
      long[] at = new long[1];
      Workload.await(
          count + " tasks done in " + impl() + "'s table",
          timeout,
          () -> {
            try {
              at[0] = System.nanoTime();
              return done() >= count;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      return at[0];
    }

    @Override
    public void check(long expected, boolean ran) throws Exception {
      long done = done();
      long waiting = waiting();
      if (ran ? done != expected || waiting != 0 : waiting != expected || done != 0) {
        throw new Workload.Failed(
            "%s's table holds %d done and %d waiting for %d tasks submitted"
                .formatted(impl(), done, waiting, expected));
      }
      if (ran && Probe.runs() != expected) {
        throw new Workload.Failed(
            "%d handler calls for %d tasks".formatted(Probe.runs(), expected));
      }
    }

    @Override
    public long submitted() {
      return submitted;
    }

    @Override
    public void close() {
      Exception first = null;
      for (AutoCloseable part : parts) {
        try {
          part.close();
        } catch (Exception e) {
          first = first != null ? first : e;
        }
      }
      if (first instanceof RuntimeException e) {
        throw e;
      } else if (first != null) {
        throw new IllegalStateException("closing the phase failed", first);
      }
    }
  }

  /**
   * db-scheduler with the settings its README gives for high throughput: lock-and-fetch polling
   * ({@code select for update skip locked}) at 1.0/4.0 of the threads, immediate execution of tasks
   * due now, and a short polling interval. Single submits go through a {@link SchedulerClient} on a
   * pool of its own (a second node: its submits are not executed immediately by the scheduler,
   * which finds them at its next poll).
   */
  static final class DbScheduler extends PeerSubject {
    private static final String SCHEMA = "peer_dbscheduler";
    private static final String TABLE = SCHEMA + ".scheduled_tasks";
    private static final Duration POLLING_INTERVAL = Duration.ofMillis(10);

    private final OneTimeTask<Void> task =
        Tasks.oneTime("noop")
            .execute((instance, context) -> Probe.run(Integer.parseInt(instance.getId())));

    DbScheduler(String jdbcUrl) {
      super(jdbcUrl);
    }

    @Override
    public String impl() {
      return "db-scheduler";
    }

    @Override
    String schema() {
      return SCHEMA;
    }

    @Override
    public String settings(int workers) {
      return ("db-scheduler 16.12: scheduleBatch; threads(%d), pollUsingLockAndFetch(1.0, 4.0),"
              + " pollingInterval(%d ms), enableImmediateExecution; pool of %d")
          .formatted(workers, POLLING_INTERVAL.toMillis(), POOL_SIZE);
    }

    @Override
    void createTables(DataSource oneOff) throws Exception {
      // db-scheduler leaves its table to the user: this is its documented PostgreSQL table
      Postgres.execute(
          oneOff,
          """
          CREATE TABLE %s (
            task_name            text        NOT NULL,
            task_instance        text        NOT NULL,
            task_data            bytea,
            execution_time       timestamptz NOT NULL,
            picked               boolean     NOT NULL,
            picked_by            text,
            last_success         timestamptz,
            last_failure         timestamptz,
            consecutive_failures int,
            last_heartbeat       timestamptz,
            version              bigint      NOT NULL,
            priority             smallint,
            PRIMARY KEY (task_name, task_instance))"""
              .formatted(TABLE),
          "CREATE INDEX ON " + TABLE + " (execution_time)",
          "CREATE INDEX ON " + TABLE + " (last_heartbeat)",
          "CREATE INDEX ON " + TABLE + " (priority DESC, execution_time ASC)");
    }

    @Override
    public Phase open(int runners, int workers, boolean submitter) {
      if (runners > 1) {
        throw new IllegalArgumentException("one scheduler per phase");
      }
      return new PeerPhase() {
        private final SchedulerClient client;
        private final SchedulerClient single;

        {
          if (runners == 1) {
            Scheduler scheduler =
                Scheduler.create(db, task)
                    .tableName(TABLE)
                    .threads(workers)
                    .pollUsingLockAndFetch(1.0, 4.0)
                    .pollingInterval(POLLING_INTERVAL)
                    .enableImmediateExecution()
                    .schedulerName(new SchedulerName.Fixed("peer-bench"))
                    .build();
            parts.add(0, scheduler::stop);
            scheduler.start();
            client = scheduler;
          } else {
            client = SchedulerClient.Builder.create(db, task).tableName(TABLE).build();
          }
          single =
              submitter
                  ? SchedulerClient.Builder.create(pool("bench-db-scheduler-submitter"), task)
                      .tableName(TABLE)
                      .build()
                  : client;
        }

        @Override
        public void submit(Work work, int first, int count, String tenant) {
          List<TaskInstance<?>> batch = new ArrayList<>(count);
          for (int i = first; i < first + count; i++) {
            batch.add(task.instance(Integer.toString(i)));
          }
          client.scheduleBatch(batch, Instant.now());
          submitted += count;
        }

        @Override
        public void submitOne(Work work, int n, String tenant) {
          if (!single.scheduleIfNotExists(task.instance(Integer.toString(n)), Instant.now())) {
            throw new Workload.Failed("task " + n + " was already scheduled");
          }
          submitted++;
        }

        @Override
        long done() throws Exception {
          // a one-time task's row is deleted when its execution completed
          return submitted - waiting();
        }

        @Override
        long waiting() throws Exception {
          return Postgres.count(db, "SELECT count(*) FROM " + TABLE);
        }
      };
    }
  }

  /**
   * JobRunr with its PostgreSQL storage provider (its own tables, created before the phase), and
   * the shortest poll interval it accepts on a SQL database (5 s). Single submits go through a
   * {@link JobScheduler} on a storage provider and pool of its own (a second node).
   */
  static final class JobRunrPeer extends PeerSubject {
    private static final String SCHEMA = "peer_jobrunr";
    private static final Duration POLLING_INTERVAL = Duration.ofSeconds(5);

    JobRunrPeer(String jdbcUrl) {
      super(jdbcUrl);
    }

    @Override
    public String impl() {
      return "jobrunr";
    }

    @Override
    String schema() {
      return SCHEMA;
    }

    @Override
    public String settings(int workers) {
      return ("JobRunr 8.7 (free): enqueue(Stream); PostgresStorageProvider, andWorkerCount(%d),"
              + " andPollInterval(%d s); pool of %d")
          .formatted(workers, POLLING_INTERVAL.toSeconds(), POOL_SIZE);
    }

    @Override
    void createTables(DataSource oneOff) {
      new PostgresStorageProvider(oneOff, SCHEMA + ".", DatabaseOptions.CREATE).close();
    }

    @Override
    public Phase open(int runners, int workers, boolean submitter) {
      if (runners > 1) {
        throw new IllegalArgumentException("one background job server per phase");
      }
      return new PeerPhase() {
        private final StorageProvider storage;
        private final JobScheduler jobs;
        private final JobScheduler single;

        {
          storage = new PostgresStorageProvider(db, SCHEMA + ".", DatabaseOptions.SKIP_CREATE);
          JobRunrConfigurationResult jobRunr =
              JobRunr.configure()
                  .useJsonMapper(new JacksonJsonMapper())
                  .useStorageProvider(storage)
                  .useBackgroundJobServerIf(
                      runners == 1,
                      usingStandardBackgroundJobServerConfiguration()
                          .andWorkerCount(workers)
                          .andPollInterval(POLLING_INTERVAL))
                  .initialize();
          // stops the background job server and the storage provider, before the pools close
          parts.add(0, JobRunr::destroy);
          jobs = jobRunr.getJobScheduler();
          BackgroundJobServer server = jobRunr.getBackgroundJobServer();
          if (runners == 1) {
            Workload.await(
                "JobRunr's background job server to start",
                Duration.ofSeconds(30),
                () -> server.isAnnounced() && server.isRunning());
          }
          if (submitter) {
            StorageProvider second =
                new PostgresStorageProvider(
                    pool("bench-jobrunr-submitter"), SCHEMA + ".", DatabaseOptions.SKIP_CREATE);
            second.setJobMapper(new JobMapper(new JacksonJsonMapper()));
            parts.add(0, second::close);
            single = new JobScheduler(second);
          } else {
            single = jobs;
          }
        }

        @Override
        public void submit(Work work, int first, int count, String tenant) {
          jobs.enqueue(IntStream.range(first, first + count).boxed(), n -> Probe.run(n));
          submitted += count;
        }

        @Override
        public void submitOne(Work work, int n, String tenant) {
          single.enqueue(() -> Probe.run(n));
          submitted++;
        }

        @Override
        long done() {
          return storage.countJobs(StateName.SUCCEEDED);
        }

        @Override
        long waiting() {
          return storage.countJobs(StateName.ENQUEUED)
              + storage.countJobs(StateName.PROCESSING)
              + storage.countJobs(StateName.SCHEDULED)
              + storage.countJobs(StateName.AWAITING);
        }
      };
    }
  }
}

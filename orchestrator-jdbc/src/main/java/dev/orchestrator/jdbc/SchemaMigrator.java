package dev.orchestrator.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and upgrades the store's tables from the versioned scripts on the classpath ({@code
 * dev/orchestrator/jdbc/migration/V<n>__<what>.sql}), recording each applied version in {@code
 * <prefix>schema_version}. All pending scripts run in one transaction under a PostgreSQL advisory
 * lock keyed by schema and prefix, so nodes starting together migrate exactly once and the others
 * wait, then find nothing to do.
 *
 * <p>Teams that manage their schema with Flyway or Liquibase skip this ({@code
 * PostgresTaskStore.builder().migrate(false)}) and run the same scripts with {@code ${prefix}}
 * replaced by their table prefix.
 */
public final class SchemaMigrator {
  private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);

  /** The table prefix used when none is configured. */
  public static final String DEFAULT_TABLE_PREFIX = "orch_";

  /** The placeholder the scripts use for the table prefix. */
  public static final String PREFIX_PLACEHOLDER = "${prefix}";

  /** The scripts in order, for {@link #load}; a new version is appended here. */
  public static final List<String> SCRIPTS =
      List.of(
          "V1__tasks.sql",
          "V2__text_search.sql",
          "V3__event_feed.sql",
          "V4__nodes.sql",
          "V5__hot_row.sql",
          "V6__lanes.sql",
          "V7__schedules.sql",
          "V8__pause.sql",
          "V9__concurrency_keys.sql",
          "V10__fair_turns.sql",
          "V11__signals.sql");

  /** The tables the migrations create, without the prefix, dependents first (see {@link #drop}). */
  static final List<String> TABLES =
      List.of(
          "signals",
          "schedules",
          "attempts",
          "events",
          "edges",
          "nodes",
          "paused_types",
          "task_specs",
          "tasks",
          "schema_version");

  /** The functions the migrations create, without the prefix, with their argument types. */
  static final List<String> FUNCTIONS =
      List.of(
          "queued_in_claim_order(int)",
          "queued_in_claim_order(int, text[], text[])",
          "unkeyed_in_claim_order(int, text[], text[])",
          "due_in_order(timestamptz, int)",
          "claimable_given(uuid[])",
          "key_has_room(text, int, jsonb)");

  private static final String LOCATION = "/dev/orchestrator/jdbc/migration/";
  private static final Pattern PREFIX = Pattern.compile("([a-z_][a-z0-9_]{0,39})?");

  private static final String LOCK =
      "SELECT pg_advisory_xact_lock(hashtextextended("
          + "'dev.orchestrator.jdbc.migration/' || coalesce(current_schema(), '') || '/' || ?, 0))";
  private static final String CREATE_VERSION_TABLE =
      """
      CREATE TABLE IF NOT EXISTS ${prefix}schema_version (
        version     int         PRIMARY KEY,
        script      text        NOT NULL,
        checksum    bigint      NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )""";
  private static final String APPLIED = "SELECT version, checksum FROM ${prefix}schema_version";
  private static final String RECORD =
      "INSERT INTO ${prefix}schema_version (version, script, checksum) VALUES (?, ?, ?)";

  private final Jdbc jdbc;
  private final String prefix;

  /**
   * @param dataSource the database
   * @param tablePrefix prefix of every table and index name, see {@link #validatePrefix}
   */
  public SchemaMigrator(DataSource dataSource, String tablePrefix) {
    this.jdbc = new Jdbc(Objects.requireNonNull(dataSource, "dataSource"));
    this.prefix = validatePrefix(tablePrefix);
  }

  /**
   * Checks a table prefix: empty, or a lower-case SQL identifier of at most 40 characters (letters,
   * digits, underscores; not starting with a digit), so it can be spliced into SQL safely.
   *
   * @return the prefix
   * @throws IllegalArgumentException for anything else
   */
  public static String validatePrefix(String tablePrefix) {
    if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
      throw new IllegalArgumentException(
          "table prefix must be a lower-case identifier of at most 40 characters"
              + " ([a-z_][a-z0-9_]*): "
              + tablePrefix);
    }
    return tablePrefix;
  }

  /**
   * Applies every script not yet applied, in one transaction under the advisory lock.
   *
   * @return the versions this call applied (empty when the schema was up to date)
   */
  public List<Integer> migrate() {
    return migrateTo(Integer.MAX_VALUE);
  }

  /**
   * Applies every script not yet applied up to and including {@code version}, in one transaction
   * under the advisory lock (to move a database one version at a time, or test an upgrade).
   *
   * @return the versions this call applied
   */
  public List<Integer> migrateTo(int version) {
    return jdbc.inTransaction(
        c -> {
          Jdbc.query(c, LOCK, rs -> null, prefix);
          execute(c, render(CREATE_VERSION_TABLE));
          Map<Integer, Long> applied = new HashMap<>();
          for (long[] row :
              Jdbc.query(c, render(APPLIED), rs -> new long[] {rs.getInt(1), rs.getLong(2)})) {
            applied.put((int) row[0], row[1]);
          }
          List<Integer> done = new ArrayList<>();
          for (String script : SCRIPTS) {
            int scriptVersion = versionOf(script);
            if (scriptVersion > version) {
              break;
            }
            String sql = load(script);
            long checksum = checksum(sql);
            Long recorded = applied.get(scriptVersion);
            if (recorded == null) {
              execute(c, render(sql));
              Jdbc.update(c, render(RECORD), scriptVersion, script, checksum);
              done.add(scriptVersion);
            } else if (recorded != checksum) {
              log.warn("{} was changed after it was applied; not applied again", script);
            }
          }
          if (!done.isEmpty()) {
            log.info("migrated tables {}* to versions {}", prefix, done);
          }
          return done;
        });
  }

  /**
   * Removes the store's schema: every table and function the migrations created under this prefix,
   * with their data. For tests and benchmarks that start from nothing; never part of a migration.
   */
  public void drop() {
    jdbc.inTransaction(
        c -> {
          for (String table : TABLES) {
            execute(c, "DROP TABLE IF EXISTS " + prefix + table);
          }
          for (String function : FUNCTIONS) {
            execute(c, "DROP FUNCTION IF EXISTS " + prefix + function);
          }
          return null;
        });
  }

  /** A script's text with the prefix in place of the placeholder. */
  String render(String sql) {
    return sql.replace(PREFIX_PLACEHOLDER, prefix);
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static int versionOf(String script) {
    return Integer.parseInt(script.substring(1, script.indexOf("__")));
  }

  /** The text of a script as shipped, with the {@code ${prefix}} placeholder. */
  public static String load(String script) {
    try (InputStream in = SchemaMigrator.class.getResourceAsStream(LOCATION + script)) {
      if (in == null) {
        throw new IllegalStateException("migration script missing from the classpath: " + script);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long checksum(String sql) {
    CRC32 crc = new CRC32();
    crc.update(sql.getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }
}

package dev.orchestrator.examples.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a run prints: a table of its measures (with the cost per task on PostgreSQL), notes, and one
 * RESULT line per (sub-)run, last. Each measure is also said on stderr as soon as it is known.
 *
 * <p>{@code RESULT impl=<impl> scenario=<s> n=<n> workers=<w> enqueue_per_s=<x> e2e_per_s=<y>
 * p50_ms=<a> p99_ms=<b>}: numbers are plain (a dot, no grouping), a field that does not apply is
 * {@code -}; {@code workers} is {@code <per node>x<nodes>} in {@code scale}.
 */
final class Report {
  private final String impl;
  private final String scenario;
  private final boolean costs;
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> results = new ArrayList<>();

  Report(String impl, String scenario, boolean costs) {
    this.impl = impl;
    this.scenario = scenario;
    this.costs = costs;
    rows.add(
        costs
            ? new String[] {
              "measure",
              "result",
              "statements/task",
              "commits/task",
              "WAL/task",
              "rows written/task"
            }
            : new String[] {"measure", "result"});
  }

  void add(String measure, String result, PgCost.Cost cost) {
    String[] row = Arrays.copyOf(new String[] {measure, result}, rows.get(0).length);
    if (costs) {
      row[2] = cost == null ? "-" : cost.statementsPerTask();
      row[3] = cost == null ? "-" : cost.commitsPerTask();
      row[4] = cost == null ? "-" : cost.walPerTask();
      row[5] = cost == null ? "-" : cost.rowsPerTask();
    }
    rows.add(row);
    System.err.println(impl + " " + scenario + ": " + measure + ": " + result);
  }

  void note(String line) {
    notes.add(line);
  }

  /** A RESULT line; null for a field that does not apply. */
  void result(
      long n, String workers, Double enqueuePerS, Double e2ePerS, Double p50Ms, Double p99Ms) {
    results.add(
        String.join(
            " ",
            "RESULT",
            "impl=" + impl,
            "scenario=" + scenario,
            "n=" + n,
            "workers=" + workers,
            "enqueue_per_s=" + number("%.1f", enqueuePerS),
            "e2e_per_s=" + number("%.1f", e2ePerS),
            "p50_ms=" + number("%.3f", p50Ms),
            "p99_ms=" + number("%.3f", p99Ms)));
  }

  private static String number(String format, Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, format, value);
  }

  void print(String settings) {
    System.out.println(impl + ", " + scenario + ": " + settings);
    table(rows);
    if (costs) {
      System.out.println(
          """
          per task: each phase's totals over all the tasks it ran (its untimed warm-up included),
            from its first connection to its last (nodes' start and stop included):
            statements = JDBC execute*/executeBatch calls through the store's DataSource (a batch
                         counts once; '-': not counted, a peer's own SQL)
            commits    = pg_stat_database.xact_commit delta of the database: every transaction,
                         read-only ones too, of anyone in that database meanwhile
            WAL        = pg_wal_lsn_diff over pg_current_wal_lsn(): the whole cluster's WAL
            rows       = n_tup_ins + n_tup_upd + n_tup_del delta over the system's own tables
            (statistics read once every connection of the phase has ended and flushed its counts)""");
    }
    notes.forEach(System.out::println);
    System.out.println(
        "JVM "
            + Runtime.version()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores, max heap "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MB");
    results.forEach(System.out::println);
  }

  /** Prints rows as a table; the first row is the header. */
  private static void table(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder format = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      format.append(c == 0 ? "" : " | ").append("%-").append(widths[c]).append('s');
    }
    String line = "-".repeat(Arrays.stream(widths).sum() + 3 * (columns - 1));
    System.out.println(line);
    for (int r = 0; r < rows.size(); r++) {
      System.out.println(String.format(format.toString(), (Object[]) rows.get(r)).stripTrailing());
      if (r == 0) {
        System.out.println(line);
      }
    }
    System.out.println(line);
  }
}

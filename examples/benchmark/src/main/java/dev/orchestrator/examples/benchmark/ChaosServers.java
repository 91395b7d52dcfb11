package dev.orchestrator.examples.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The servers of one chaos run, started for it alone and removed after it: a PostgreSQL cluster
 * made with {@code initdb} in a fresh directory (run as the {@code postgres} OS user when the
 * harness runs as root, since {@code initdb} refuses root) and a {@code redis-server} child process
 * that saves nothing. Both listen on free ports of 127.0.0.1 only; the machine's own servers are
 * never touched.
 */
final class ChaosServers implements AutoCloseable {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
  private static final String LOOPBACK = "127.0.0.1";

  private final Path base;
  private final Path logs;
  private final Path pgData;
  private final Path pgBin;
  private final boolean asPostgres;
  private final int pgPort;
  private final Integer redisPort;
  private Process redis;
  private boolean pgRunning;

  private ChaosServers(Path base, boolean withRedis) throws IOException {
    this.base = base;
    this.logs = Files.createDirectories(base.resolve("logs"));
    this.pgData = base.resolve("pg");
    this.pgBin = postgresBin();
    this.asPostgres = "root".equals(System.getProperty("user.name"));
    this.pgPort = freePort();
    this.redisPort = withRedis ? freePort() : null;
  }

  /**
   * Starts PostgreSQL (and Redis when asked) under a new temp directory.
   *
   * @throws IOException when a server does not start; whatever did start is stopped again
   */
  static ChaosServers start(boolean withRedis) throws IOException {
    Path base = Files.createTempDirectory("orchestrator-chaos-");
    // the postgres user must reach the data directory inside
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    ChaosServers servers = new ChaosServers(base, withRedis);
    try {
      servers.initPostgres();
      servers.startPostgres();
      if (withRedis) {
        servers.startRedis();
      }
      return servers;
    } catch (IOException | RuntimeException e) {
      servers.close();
      throw e;
    }
  }

  /** Where the servers' and workers' logs go (kept after a failed run). */
  Path logs() {
    return logs;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://" + LOOPBACK + ":" + pgPort + "/postgres?user=postgres";
  }

  /** The Redis URL, or null in a run without Redis. */
  String redisUrl() {
    return redisPort == null ? null : "redis://" + LOOPBACK + ":" + redisPort;
  }

  String describe() {
    return "PostgreSQL "
        + LOOPBACK
        + ":"
        + pgPort
        + " ("
        + pgBin
        + ")"
        + (redisPort == null ? "" : ", Redis " + LOOPBACK + ":" + redisPort)
        + ", files in "
        + base;
  }

  // ---- PostgreSQL ----

  /** The directory of initdb and pg_ctl: {@code pg_config --bindir}, else the newest installed. */
  private static Path postgresBin() throws IOException {
    try {
      Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() == 0 && Files.isExecutable(Path.of(out, "initdb"))) {
        return Path.of(out);
      }
    } catch (IOException e) {
      // no pg_config: look in the usual place
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        Path newest =
            versions
                .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                .max(Comparator.comparingInt(ChaosServers::version))
                .orElse(null);
        if (newest != null) {
          return newest.resolve("bin");
        }
      }
    }
    throw new IOException("no PostgreSQL server binaries (initdb, pg_ctl) found");
  }

  private static int version(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void initPostgres() throws IOException {
    Files.createDirectories(pgData);
    Path sockets = Files.createDirectories(base.resolve("pg-socket"));
    if (asPostgres) {
      UserPrincipal postgres =
          base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(pgData, postgres);
      Files.setOwner(sockets, postgres);
    }
    Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
    // pg_ctl -l writes the server's log there
    Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxrwxrwx"));
    pg(
        "initdb",
        "-D",
        pgData.toString(),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync");
    String conf =
        """

        # chaos run: a private server on loopback only
        port = %d
        listen_addresses = '%s'
        unix_socket_directories = '%s'
        max_connections = 100
        """
            .formatted(pgPort, LOOPBACK, sockets);
    Files.writeString(
        pgData.resolve("postgresql.conf"),
        conf,
        java.nio.file.StandardOpenOption.APPEND,
        java.nio.file.StandardOpenOption.WRITE);
  }

  private void startPostgres() throws IOException {
    pgCtl("start");
    pgRunning = true;
  }

  /**
   * Restarts PostgreSQL in immediate mode (the server processes are killed without a checkpoint, as
   * a crash would, and the next start recovers from the WAL).
   */
  void restartPostgres() throws IOException {
    pgCtl("-m", "immediate", "restart");
  }

  private void pgCtl(String... command) throws IOException {
    List<String> args = new ArrayList<>(List.of("pg_ctl", "-D", pgData.toString(), "-w"));
    args.addAll(List.of("-t", "60", "-l", logs.resolve("postgres.log").toString()));
    args.addAll(List.of(command));
    pg(args.toArray(String[]::new));
  }

  /** Runs a PostgreSQL program (as the postgres user when we are root), failing on non-zero. */
  private void pg(String... command) throws IOException {
    List<String> args = new ArrayList<>();
    if (asPostgres) {
      args.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    args.add(pgBin.resolve(command[0]).toString());
    args.addAll(List.of(command).subList(1, command.length));
    Path log = logs.resolve("pg-commands.log");
    Files.writeString(
        log,
        "$ " + String.join(" ", args) + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    Process p =
        new ProcessBuilder(args)
            .directory(base.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            command[0] + " did not finish in " + COMMAND_TIMEOUT + "; see " + log);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed (exit " + p.exitValue() + "); see " + log);
    }
  }

  // ---- Redis ----

  private void startRedis() throws IOException {
    Path dir = Files.createDirectories(base.resolve("redis"));
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve("redis.log").toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if ("+PONG".equals(redisCommand("PING"))) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!redis.isAlive()) {
        throw new IOException("redis-server exited with " + redis.exitValue() + "; see logs");
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("redis-server did not answer within 30 s");
      }
      pause(20);
    }
  }

  /** FLUSHALL: every key is gone, the queue's marker with them. */
  void flushRedis() throws IOException {
    String reply = redisCommand("FLUSHALL");
    if (!"+OK".equals(reply)) {
      throw new IOException("FLUSHALL answered " + reply);
    }
  }

  /** Kills redis-server (SIGKILL) and starts a new one on the same port; it starts empty. */
  void restartRedis() throws IOException {
    stopRedis();
    startRedis();
  }

  private void stopRedis() {
    if (redis != null) {
      redis.destroyForcibly();
      try {
        redis.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      redis = null;
    }
  }

  /** One inline command on a fresh connection; returns the first line of the reply. */
  private String redisCommand(String command) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(LOOPBACK, redisPort), 1000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  // ---- shared ----

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return s.getLocalPort();
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops both servers and deletes their files; the logs only when {@code keepLogs} is false. */
  void close(boolean keepLogs) {
    stopRedis();
    if (pgRunning) {
      try {
        pgCtl("-m", "immediate", "stop");
        pgRunning = false;
      } catch (IOException e) {
        System.err.println("chaos: could not stop PostgreSQL: " + e.getMessage());
      }
    }
    try (Stream<Path> top = Files.list(base)) {
      for (Path p : top.toList()) {
        if (!keepLogs || !p.equals(logs)) {
          delete(p);
        }
      }
      if (!keepLogs) {
        Files.deleteIfExists(base);
      }
    } catch (IOException e) {
      System.err.println("chaos: could not delete " + base + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    close(false);
  }

  private static void delete(Path tree) throws IOException {
    if (!Files.exists(tree)) {
      return;
    }
    try (Stream<Path> all = Files.walk(tree)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

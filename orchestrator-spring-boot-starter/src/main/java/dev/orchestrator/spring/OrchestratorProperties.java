package dev.orchestrator.spring;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code orchestrator.*} settings of the auto-configuration. */
@ConfigurationProperties("orchestrator")
public class OrchestratorProperties {
  /** Whether the orchestrator is configured at all. */
  private boolean enabled = true;

  /** Name of this node in leases, attempts and logs; default: process id and a random suffix. */
  private String nodeId;

  /** Which store holds the tasks: auto (PostgreSQL when a DataSource exists), memory or jdbc. */
  private StoreType store = StoreType.AUTO;

  /** Which LLM client runs prompts: auto (langchain4j when a ChatModel bean exists) or mock. */
  private LlmType llm = LlmType.AUTO;

  /** Purge finished tasks this long after they ended; unset keeps them. */
  private Duration retention;

  /**
   * How late a schedule's fire may still run under the SKIP misfire policy; unset: the library's
   * default (one minute).
   */
  private Duration scheduleGrace;

  /** Prompt templates by name, e.g. {@code orchestrator.templates.summarise=Summarise {{text}}}. */
  private Map<String, String> templates = new LinkedHashMap<>();

  /** Per-model limits, e.g. {@code orchestrator.rate-limits.gpt-4o.requests-per-second=50}. */
  private Map<String, RateLimit> rateLimits = new LinkedHashMap<>();

  /**
   * Per-model prices in dollars per million tokens, e.g. {@code orchestrator.prices.gpt-4o.input}.
   */
  private Map<String, Price> prices = new LinkedHashMap<>();

  private final Worker worker = new Worker();
  private final Defaults defaults = new Defaults();
  private final Jdbc jdbc = new Jdbc();
  private final Redis redis = new Redis();
  private final Mock mock = new Mock();
  private final Web web = new Web();
  private final Dashboard dashboard = new Dashboard();

  /** Where tasks are kept. */
  public enum StoreType {
    /** PostgreSQL when the application has a DataSource and orchestrator-jdbc, else memory. */
    AUTO,
    /** In memory: lost on restart, one node. */
    MEMORY,
    /** PostgreSQL through the application's DataSource. */
    JDBC
  }

  /** What runs an LLM task's prompt. */
  public enum LlmType {
    /** The application's langchain4j ChatModel bean when there is one, else the mock. */
    AUTO,
    /** The deterministic mock: no network, no cost. */
    MOCK,
    /** The application's langchain4j ChatModel bean. */
    LANGCHAIN4J
  }

  /** This node's workers. */
  public static class Worker {
    /** Whether this node runs tasks; false makes a node that only submits and serves the API. */
    private boolean enabled = true;

    /** Attempts this node runs at once. */
    private int count = 8;

    /** How long a claim holds a task without a heartbeat. */
    private Duration leaseDuration = Duration.ofSeconds(30);

    /** How often a node renews the leases of its running tasks. */
    private Duration heartbeatInterval = Duration.ofSeconds(10);

    /** Longest wait of an idle worker before it looks for work again. */
    private Duration pollInterval = Duration.ofSeconds(1);

    /** How long a shutdown waits for running attempts before giving them back. */
    private Duration shutdownGrace = Duration.ofSeconds(10);

    /** The named queues this node claims from. */
    private List<String> queues = new ArrayList<>(List.of("default"));

    /** The task types this node claims; empty: every type it has a handler for. */
    private List<String> taskTypes = new ArrayList<>();

    /** Types this node submits but other nodes run (it has no handler for them). */
    private List<String> remoteTypes = new ArrayList<>();

    public List<String> getQueues() {
      return queues;
    }

    public void setQueues(List<String> queues) {
      this.queues = queues;
    }

    public List<String> getTaskTypes() {
      return taskTypes;
    }

    public void setTaskTypes(List<String> taskTypes) {
      this.taskTypes = taskTypes;
    }

    public List<String> getRemoteTypes() {
      return remoteTypes;
    }

    public void setRemoteTypes(List<String> remoteTypes) {
      this.remoteTypes = remoteTypes;
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getCount() {
      return count;
    }

    public void setCount(int count) {
      this.count = count;
    }

    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    public Duration getHeartbeatInterval() {
      return heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    public Duration getShutdownGrace() {
      return shutdownGrace;
    }

    public void setShutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = shutdownGrace;
    }
  }

  /** What a task gets when its spec does not say. */
  public static class Defaults {
    /** Attempts of a task, the first included. */
    private int maxAttempts = 3;

    /** Longest run of one attempt. */
    private Duration timeout = Duration.ofMinutes(5);

    /** Upper bound of the first retry's backoff. */
    private Duration retryInitialDelay = Duration.ofSeconds(1);

    /** Growth of the backoff's bound per attempt. */
    private double retryMultiplier = 2.0;

    /** Ceiling of every backoff. */
    private Duration retryMaxDelay = Duration.ofMinutes(5);

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }

    public Duration getRetryInitialDelay() {
      return retryInitialDelay;
    }

    public void setRetryInitialDelay(Duration retryInitialDelay) {
      this.retryInitialDelay = retryInitialDelay;
    }

    public double getRetryMultiplier() {
      return retryMultiplier;
    }

    public void setRetryMultiplier(double retryMultiplier) {
      this.retryMultiplier = retryMultiplier;
    }

    public Duration getRetryMaxDelay() {
      return retryMaxDelay;
    }

    public void setRetryMaxDelay(Duration retryMaxDelay) {
      this.retryMaxDelay = retryMaxDelay;
    }
  }

  /** The PostgreSQL store. */
  public static class Jdbc {
    /** Whether the store creates and upgrades its tables at start-up. */
    private boolean migrate = true;

    /** Prefix of the store's tables, indexes and notification channel. */
    private String tablePrefix = "orch_";

    public boolean isMigrate() {
      return migrate;
    }

    public void setMigrate(boolean migrate) {
      this.migrate = migrate;
    }

    public String getTablePrefix() {
      return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
      this.tablePrefix = tablePrefix;
    }
  }

  /** Redis: dispatch, cluster-wide rate limits and events across nodes. */
  public static class Redis {
    /** Redis URL, e.g. {@code redis://127.0.0.1:6379}; unset (and no Jedis bean) means no Redis. */
    private String url;

    /** Prefix of every key the orchestrator writes. */
    private String keyPrefix = "orch:";

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }
  }

  /** The mock LLM client, when it is the one in use. */
  public static class Mock {
    /** How long each mock call takes. */
    private Duration latency = Duration.ofMillis(300);

    public Duration getLatency() {
      return latency;
    }

    public void setLatency(Duration latency) {
      this.latency = latency;
    }
  }

  /** The REST API and the event stream. */
  public static class Web {
    /** Whether the REST API is served. */
    private boolean enabled = true;

    /** Path under which the API is served. */
    private String basePath = "/orchestrator/api";

    /** Largest request body accepted, in bytes. */
    private int maxBodyBytes = 1024 * 1024;

    /** Largest page of a task list. */
    private int maxPageSize = 200;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getBasePath() {
      return basePath;
    }

    public void setBasePath(String basePath) {
      this.basePath = basePath;
    }

    public int getMaxBodyBytes() {
      return maxBodyBytes;
    }

    public void setMaxBodyBytes(int maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
    }

    public int getMaxPageSize() {
      return maxPageSize;
    }

    public void setMaxPageSize(int maxPageSize) {
      this.maxPageSize = maxPageSize;
    }
  }

  /** The live dashboard at {@code /orchestrator}. */
  public static class Dashboard {
    /** Whether the dashboard is served (it needs the REST API). */
    private boolean enabled = true;

    /** Whether the dashboard hides every action: it only shows tasks. */
    private boolean readOnly = false;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public boolean isReadOnly() {
      return readOnly;
    }

    public void setReadOnly(boolean readOnly) {
      this.readOnly = readOnly;
    }
  }

  /** Limits of one model. */
  public static class RateLimit {
    /** Calls per second. */
    private int requestsPerSecond = 10;

    /** Input plus output tokens per minute. */
    private long tokensPerMinute = 100_000;

    public int getRequestsPerSecond() {
      return requestsPerSecond;
    }

    public void setRequestsPerSecond(int requestsPerSecond) {
      this.requestsPerSecond = requestsPerSecond;
    }

    public long getTokensPerMinute() {
      return tokensPerMinute;
    }

    public void setTokensPerMinute(long tokensPerMinute) {
      this.tokensPerMinute = tokensPerMinute;
    }
  }

  /** Price of one model, in dollars per million tokens. */
  public static class Price {
    /** Dollars per million input tokens. */
    private BigDecimal input = BigDecimal.ZERO;

    /** Dollars per million output tokens. */
    private BigDecimal output = BigDecimal.ZERO;

    public BigDecimal getInput() {
      return input;
    }

    public void setInput(BigDecimal input) {
      this.input = input;
    }

    public BigDecimal getOutput() {
      return output;
    }

    public void setOutput(BigDecimal output) {
      this.output = output;
    }
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getNodeId() {
    return nodeId;
  }

  public void setNodeId(String nodeId) {
    this.nodeId = nodeId;
  }

  public StoreType getStore() {
    return store;
  }

  public void setStore(StoreType store) {
    this.store = store;
  }

  public LlmType getLlm() {
    return llm;
  }

  public void setLlm(LlmType llm) {
    this.llm = llm;
  }

  public Duration getRetention() {
    return retention;
  }

  public Duration getScheduleGrace() {
    return scheduleGrace;
  }

  public void setScheduleGrace(Duration scheduleGrace) {
    this.scheduleGrace = scheduleGrace;
  }

  public void setRetention(Duration retention) {
    this.retention = retention;
  }

  public Map<String, String> getTemplates() {
    return templates;
  }

  public void setTemplates(Map<String, String> templates) {
    this.templates = templates;
  }

  public Map<String, RateLimit> getRateLimits() {
    return rateLimits;
  }

  public void setRateLimits(Map<String, RateLimit> rateLimits) {
    this.rateLimits = rateLimits;
  }

  public Map<String, Price> getPrices() {
    return prices;
  }

  public void setPrices(Map<String, Price> prices) {
    this.prices = prices;
  }

  public Worker getWorker() {
    return worker;
  }

  public Defaults getDefaults() {
    return defaults;
  }

  public Jdbc getJdbc() {
    return jdbc;
  }

  public Redis getRedis() {
    return redis;
  }

  public Mock getMock() {
    return mock;
  }

  public Web getWeb() {
    return web;
  }

  public Dashboard getDashboard() {
    return dashboard;
  }
}

package dev.orchestrator.examples.service.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.examples.service.ServiceApplication;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.retry.FatalTaskException;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spring.OrchestratorHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * The dashboard in headless Chromium against the example service on a random port: every action,
 * live updates from the event stream (and, for a pipeline run, from polling), hostile content, and
 * screenshots of each view at 1280 and 390 px under target/screenshots.
 */
@SpringBootTest(
    classes = {ServiceApplication.class, DashboardBrowserTest.Handlers.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "orchestrator.mock.latency=300ms")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String HOSTILE_PROMPT =
      "<img src=x onerror=alert(1)> <script>window.__pwned = 1; alert(2)</script>";

  /**
   * A slow task that runs until cancelled, one whose first attempt fails for good, and a pipeline
   * whose first step holds until cancelled (beside the service's own, weekly-update).
   */
  @TestConfiguration
  static class Handlers {
    @Bean
    Pipeline slowPipeline() {
      Tool hold = Tool.builder("hold").maxAttempts(1).function(Handlers::untilCancelled).build();
      return Pipeline.builder("slow-demo")
          .tools(ToolRegistry.of(hold))
          .planner(
              (request, stage) ->
                  new Plan(
                      request.goal(),
                      List.of(
                          Plan.Step.tool("hold", "hold", null).describedAs("Holds until cancelled"),
                          Plan.Step.llm("after", "After ${steps.hold.output}").after("hold"))))
          .build();
    }

    /** A tool call that ends only when its attempt is cancelled (interrupted). */
    static String untilCancelled(JsonNode arguments) throws InterruptedException {
      new java.util.concurrent.CountDownLatch(1).await();
      return "never";
    }

    @Bean
    OrchestratorHandler slow() {
      return new OrchestratorHandler(
          "slow",
          ctx -> {
            ctx.progress(0.1, "working on it");
            Instant end = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(end)) {
              ctx.checkCancelled();
              Thread.sleep(50);
            }
            return HandlerResult.of("done slowly");
          });
    }

    /** As fails-once, under a type of its own: the bulk retry's test filters by it. */
    @Bean
    OrchestratorHandler bulkFlaky() {
      return new OrchestratorHandler(
          "bulk-flaky",
          ctx -> {
            if (ctx.task().attempt() == 1) {
              throw new FatalTaskException("refused on the first attempt");
            }
            return HandlerResult.of("fine on attempt " + ctx.task().attempt());
          });
    }

    @Bean
    OrchestratorHandler failsOnce() {
      return new OrchestratorHandler(
          "fails-once",
          ctx -> {
            if (ctx.task().attempt() == 1) {
              throw new FatalTaskException("upstream refused the request");
            }
            return HandlerResult.of("fine on attempt " + ctx.task().attempt());
          });
    }
  }

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private Browser browser;
  private WebDriverWait wait;

  @BeforeAll
  void startBrowser() throws Exception {
    browser = Browser.start();
    browser.size(1280);
    wait = new WebDriverWait(browser.driver, WAIT);
    wait.ignoring(StaleElementReferenceException.class); // views redraw while live
  }

  @AfterAll
  void stopBrowser() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  void freshPage() {
    browser.size(1280);
  }

  @AfterEach
  void noConsoleErrors() {
    assertThat(browser.consoleErrors()).as("browser console errors").isEmpty();
  }

  // ---- helpers ----

  private String url(String hash) {
    return "http://127.0.0.1:" + port + "/orchestrator/" + hash;
  }

  /**
   * Opens a view in a fresh page load and waits until its event stream delivers. The API starts a
   * stream's response with its first event, so the page knows it is connected once one arrives: a
   * warm-up task makes some.
   */
  private void open(String hash) throws Exception {
    browser.driver.get("about:blank"); // a new document, even when only the hash differs
    browser.driver.get(url(hash));
    wait.until(
        d ->
            d.findElements(By.cssSelector("main > p.state")).stream()
                .noneMatch(e -> e.getText().equals("Loading…")));
    WebDriverWait shortly = new WebDriverWait(browser.driver, Duration.ofSeconds(2));
    for (int i = 0; ; i++) {
      submit(Map.of("name", "warm-up", "prompt", "warm-up"));
      try {
        shortly.until(d -> "live".equals(d.findElement(By.id("live")).getAttribute("data-state")));
        break;
      } catch (org.openqa.selenium.TimeoutException e) {
        if (i == 5) {
          throw e;
        }
      }
    }
    browser.js("window.__sameDocument = true");
  }

  private void go(String hash) {
    browser.js("location.hash = arguments[0]", hash);
  }

  private void assertNoReload() {
    assertThat(browser.js("return window.__sameDocument === true")).as("no reload").isEqualTo(true);
  }

  private JsonNode api(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orchestrator/api" + path));
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(method + " " + path + ": " + res.body()).isLessThan(300);
    return json.readTree(res.body());
  }

  private String submit(Map<String, Object> spec) throws Exception {
    return api("POST", "/tasks", json.writeValueAsString(spec)).path("id").asText();
  }

  private JsonNode awaitStatus(String id, String status) throws Exception {
    return awaitStatusAt("/tasks/" + id, status);
  }

  /** What the path answers once its status is this one (a task's, or a run's). */
  private JsonNode awaitStatusAt(String path, String status) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    JsonNode task = api("GET", path, null);
    while (!status.equals(task.path("status").asText()) && Instant.now().isBefore(deadline)) {
      Thread.sleep(50); // polling the API from the test's own client, with a deadline
      task = api("GET", path, null);
    }
    assertThat(task.path("status").asText()).isEqualTo(status);
    return task;
  }

  /** An element's text, read again if the live view redrew it meanwhile. */
  private String text(By by) {
    return wait.until(d -> d.findElement(by).getText());
  }

  private String pageStatus() {
    return browser.driver.findElement(By.cssSelector("h1 .badge")).getText().toUpperCase();
  }

  private void waitForStatus(String status) {
    try {
      wait.until(d -> pageStatus().equals(status));
    } catch (org.openqa.selenium.TimeoutException e) {
      browser.screenshot("failed-waiting-for-" + status.toLowerCase(), 1280);
      throw e;
    }
  }

  private int totalTasks() throws Exception {
    JsonNode counts = api("GET", "/stats", null).path("counts");
    int total = 0;
    for (JsonNode n : counts) {
      total += n.asInt();
    }
    return total;
  }

  // ---- the tests ----

  @Test
  void aTaskCreatedInTheFormReachesCompletedWithoutAReload() throws Exception {
    open("#/new");
    browser.driver.findElement(By.id("name")).sendKeys("rivers");
    browser.driver.findElement(By.id("prompt")).sendKeys("Name three rivers");
    browser.driver.findElement(By.id("create")).click();
    wait.until(ExpectedConditions.urlMatches("#/task/[0-9a-f-]{36}$"));
    waitForStatus("COMPLETED");
    wait.until(d -> d.findElement(By.id("output")).getText().contains("Name three rivers"));
    assertThat(browser.driver.findElements(By.cssSelector("#attempts tbody tr"))).hasSize(1);
    assertThat(text(By.id("events"))).contains("completed");
    assertNoReload();
    browser.screenshot("detail", 1280);
    browser.screenshot("detail", 390);
  }

  @Test
  void useAsNewTaskChainsAndTheLineageShowsTwoNodes() throws Exception {
    String parent = submit(Map.of("name", "draft", "prompt", "Write a haiku about rivers"));
    String output = awaitStatus(parent, "COMPLETED").path("output").asText();
    open("#/task/" + parent);
    wait.until(ExpectedConditions.elementToBeClickable(By.id("use-as-new"))).click();
    WebElement prompt = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("prompt")));
    assertThat(prompt.getAttribute("value")).isEqualTo(output);
    prompt.sendKeys("\nTranslate it to French.");
    browser.driver.findElement(By.id("name")).sendKeys("translation");
    browser.driver.findElement(By.id("create")).click();
    wait.until(ExpectedConditions.urlMatches("#/task/[0-9a-f-]{36}$"));
    waitForStatus("COMPLETED");
    browser.driver.findElement(By.id("lineage-link")).click();
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node")).size() == 2);
    assertThat(browser.driver.findElements(By.cssSelector("#lineage .edge"))).hasSize(1);
    assertThat(browser.driver.findElements(By.cssSelector("#lineage .node.s-completed")))
        .hasSize(2);
    browser.screenshot("lineage", 1280);
    browser.screenshot("lineage", 390);
    browser.driver.findElement(By.cssSelector("#lineage .node[data-id='" + parent + "']")).click();
    wait.until(ExpectedConditions.urlContains("#/task/" + parent));
    wait.until(d -> d.findElement(By.cssSelector("h1 .t-title")).getText().equals("draft"));
    assertNoReload();

    // a child chained by another client appears in the open graph
    go("#/task/" + parent + "/lineage");
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node")).size() == 2);
    api("POST", "/tasks/" + parent + "/chain", "{\"name\": \"summary\"}");
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node")).size() == 3);
  }

  @Test
  void aFanOutAndFanInIsDrawnAsOneGraph() throws Exception {
    String root = submit(Map.of("name", "plan", "prompt", "Plan six sections"));
    List<String> steps = new java.util.ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      steps.add(
          submit(
              Map.of(
                  "name", "section " + i,
                  "prompt", "Write section " + i + " of {{parent.output}}",
                  "dependsOn", List.of(root))));
    }
    String fanIn =
        submit(Map.of("name", "merge", "prompt", "Merge the sections", "dependsOn", steps));
    // the drawing is under test here, not live updates (the chain test covers those): the graph
    // is opened once every step has ended
    awaitStatus(fanIn, "COMPLETED");
    open("#/task/" + fanIn + "/lineage");
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node")).size() == 8);
    assertThat(browser.driver.findElements(By.cssSelector("#lineage .edge"))).hasSize(12);
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node.s-completed")).size() == 8);
    // parents above children: the root on top, the fan-in at the bottom
    double rootY = nodeY(root);
    double stepY = nodeY(steps.get(0));
    assertThat(rootY).isLessThan(stepY);
    assertThat(stepY).isLessThan(nodeY(fanIn));
    browser.screenshot("lineage-dag", 1280);
    browser.screenshot("lineage-dag", 390);
  }

  private double nodeY(String id) {
    return boxY("#lineage .node[data-id='" + id + "'] rect");
  }

  private double boxY(String css) {
    return ((Number) browser.js("return document.querySelector(arguments[0]).getBBox().y", css))
        .doubleValue();
  }

  @Test
  void aSlowRunningTaskIsCancelledWithAReason() throws Exception {
    String id = submit(Map.of("name", "slow one", "type", "slow", "prompt", "take your time"));
    open("#/task/" + id);
    waitForStatus("RUNNING");
    wait.until(d -> d.findElement(By.id("events")).getText().contains("working on it"));
    browser.driver.findElement(By.id("cancel-reason")).sendKeys("no longer needed");
    browser.driver.findElement(By.id("cancel")).click();
    waitForStatus("CANCELLED");
    wait.until(d -> d.findElement(By.id("events")).getText().contains("no longer needed"));
    assertThat(api("GET", "/tasks/" + id, null).path("status").asText()).isEqualTo("CANCELLED");
    assertThat(browser.driver.findElements(By.id("cancel"))).isEmpty();
    assertNoReload();
  }

  @Test
  void aTaskIsPausedAndResumedFromItsPage() throws Exception {
    String id = submit(Map.of("name", "for later", "prompt", "wait", "delay", "PT1H"));
    open("#/task/" + id);
    waitForStatus("SCHEDULED");
    browser.driver.findElement(By.id("pause")).click();
    wait.until(d -> !d.findElements(By.cssSelector("h1 .s-paused")).isEmpty());
    wait.until(d -> d.findElement(By.id("events")).getText().contains("paused"));
    assertThat(api("GET", "/tasks/" + id, null).path("paused").asBoolean()).isTrue();
    browser.screenshot("task-paused", 1280);
    browser.driver.findElement(By.id("resume")).click();
    wait.until(d -> d.findElements(By.cssSelector("h1 .s-paused")).isEmpty());
    wait.until(d -> d.findElement(By.id("events")).getText().contains("resumed"));
    assertThat(api("GET", "/tasks/" + id, null).path("paused").asBoolean()).isFalse();
    assertThat(pageStatus()).isEqualTo("SCHEDULED");
    assertNoReload();
  }

  @Test
  void aFailedTaskIsRetriedAndTheNewAttemptShows() throws Exception {
    String id = submit(Map.of("name", "flaky", "type", "fails-once", "prompt", "try"));
    awaitStatus(id, "FAILED");
    open("#/task/" + id);
    waitForStatus("FAILED");
    assertThat(text(By.cssSelector(".error-box"))).contains("upstream refused the request");
    WebElement attempts = browser.driver.findElement(By.id("retry-attempts"));
    attempts.clear();
    attempts.sendKeys("2");
    browser.driver.findElement(By.id("retry")).click();
    waitForStatus("COMPLETED");
    wait.until(d -> d.findElements(By.cssSelector("#attempts tbody tr")).size() == 2);
    assertThat(text(By.cssSelector("#attempts tbody")))
        .containsIgnoringCase("FATAL_FAILURE")
        .containsIgnoringCase("SUCCEEDED");
    assertThat(browser.driver.findElements(By.cssSelector("svg.attempt-bars rect.bar"))).hasSize(2);
  }

  @Test
  void aBatchWithOneBadLineCreatesNothingAndSaysWhichLine() throws Exception {
    open("#/new?tab=batch");
    int before = totalTasks();
    browser
        .driver
        .findElement(By.id("batch"))
        .sendKeys("First | Summarise the news\nSecond |   \nName three mountains");
    browser.driver.findElement(By.id("create-batch")).click();
    WebElement error =
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("form-error")));
    assertThat(error.getText()).contains("Nothing was created").contains("Line 2");
    assertThat(totalTasks()).isEqualTo(before);

    WebElement lines = browser.driver.findElement(By.id("batch"));
    lines.clear();
    lines.sendKeys("First | Summarise the news\nName three mountains");
    browser.driver.findElement(By.id("create-batch")).click();
    wait.until(ExpectedConditions.textToBe(By.id("batch-ok"), "2 tasks created."));
    assertThat(totalTasks()).isEqualTo(before + 2);
  }

  @Test
  void aTemplateIsFilledFromItsVariables() throws Exception {
    open("#/new?tab=template");
    new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("template")))
        .selectByValue("translate");
    browser.driver.findElement(By.id("var-language")).sendKeys("German");
    browser.driver.findElement(By.id("var-text")).sendKeys("good morning");
    browser.driver.findElement(By.id("create-from-template")).click();
    wait.until(ExpectedConditions.urlMatches("#/task/[0-9a-f-]{36}$"));
    wait.until(
        d -> d.findElement(By.id("prompt")).getText().equals("Translate to German: good morning"));
    waitForStatus("COMPLETED");
  }

  @Test
  void searchAndFiltersNarrowTheList() throws Exception {
    String a =
        submit(
            Map.of(
                "name",
                "zebra facts",
                "prompt",
                "Tell me about zebras",
                "labels",
                Map.of("team", "zoo")));
    String b =
        submit(
            Map.of(
                "name",
                "okapi facts",
                "prompt",
                "Tell me about okapis",
                "labels",
                Map.of("team", "zoo")));
    String c = submit(Map.of("name", "broken", "type", "fails-once", "prompt", "zebra crossing"));
    awaitStatus(a, "COMPLETED");
    awaitStatus(b, "COMPLETED");
    awaitStatus(c, "FAILED");
    open("#/tasks");
    browser.driver.findElement(By.id("f-text")).sendKeys("zebra\n");
    wait.until(d -> rows().size() == 2 && rows().containsAll(List.of(a, c)));
    browser.driver.findElement(By.cssSelector("input[name=status][value=FAILED]")).click();
    wait.until(d -> rows().equals(List.of(c)));
    browser.driver.findElement(By.cssSelector("input[name=status][value=FAILED]")).click();
    WebElement label = wait.until(ExpectedConditions.elementToBeClickable(By.id("f-label")));
    label.sendKeys("team=zoo\n");
    wait.until(d -> rows().equals(List.of(a)));
    WebElement text = browser.driver.findElement(By.id("f-text"));
    text.clear();
    text.sendKeys("\n");
    wait.until(d -> rows().size() == 2 && rows().containsAll(List.of(a, b)));
    browser.driver.findElement(By.id("f-owner")).sendKeys("somebody-else\n");
    wait.until(d -> d.findElement(By.cssSelector("p.state")).getText().contains("No task matches"));
    assertThat(rows()).isEmpty();
  }

  private List<String> rows() {
    return browser.driver.findElements(By.cssSelector("#task-list .task-row")).stream()
        .map(e -> e.getAttribute("data-id"))
        .toList();
  }

  @Test
  void theFailedTasksOfATypeAreRetriedAllAtOnceFromTheFilteredList() throws Exception {
    List<String> flaky = new java.util.ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      flaky.add(
          submit(
              Map.of(
                  "name",
                  "flaky step " + i,
                  "type",
                  "bulk-flaky",
                  "prompt",
                  "try " + i,
                  "maxAttempts",
                  1)));
    }
    String otherType =
        submit(
            Map.of(
                "name", "other failure", "type", "fails-once", "prompt", "no", "maxAttempts", 1));
    for (String id : flaky) {
      awaitStatus(id, "FAILED");
    }
    awaitStatus(otherType, "FAILED");
    open("#/tasks?status=FAILED&type=bulk-flaky");
    wait.until(d -> rows().size() == 4 && rows().containsAll(flaky));
    assertThat(browser.driver.findElement(By.id("f-type")).getAttribute("value"))
        .isEqualTo("bulk-flaky");

    browser.driver.findElement(By.id("bulk-retry")).click();
    WebElement confirm =
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("bulk-confirm")));
    assertThat(confirm.getText())
        .contains("Retry every task matching status FAILED, type bulk-flaky")
        .contains("4 tasks are listed here")
        .contains("all of them can be retried");
    assertThat(browser.driver.findElements(By.cssSelector("#bulk-preview li"))).hasSize(4);
    for (String id : flaky) {
      assertThat(api("GET", "/tasks/" + id, null).path("status").asText())
          .as("nothing changes before the confirm")
          .isEqualTo("FAILED");
    }
    browser.screenshot("bulk-confirm", 1280);
    browser.screenshot("bulk-confirm", 390);

    WebElement attempts = browser.driver.findElement(By.id("bulk-attempts"));
    attempts.clear();
    attempts.sendKeys("2");
    browser.driver.findElement(By.id("bulk-go")).click();
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("bulk-result"), "4 changed, 0 skipped"));
    for (String id : flaky) {
      awaitStatus(id, "COMPLETED");
    }
    // the listed rows follow live: each leaves FAILED
    wait.until(
        d ->
            flaky.stream()
                .allMatch(
                    id ->
                        "COMPLETED"
                            .equals(
                                d.findElement(
                                        By.cssSelector(
                                            "#task-list .task-row[data-id='" + id + "']"))
                                    .getAttribute("data-status"))));
    assertThat(api("GET", "/tasks/" + otherType, null).path("status").asText())
        .as("another type is left alone")
        .isEqualTo("FAILED");
    assertNoReload();
    browser.screenshot("bulk-result", 1280);
    browser.screenshot("bulk-result", 390);
  }

  @Test
  void aTaskCreatedByAnotherClientAppearsAndUpdatesLive() throws Exception {
    open("#/tasks");
    String id = submit(Map.of("name", "from curl", "prompt", "Name three lakes"));
    By row = By.cssSelector("#task-list .task-row[data-id='" + id + "']");
    wait.until(ExpectedConditions.presenceOfElementLocated(row));
    wait.until(d -> "COMPLETED".equals(d.findElement(row).getAttribute("data-status")));
    assertThat(rows().get(0)).isEqualTo(id);
    assertNoReload();
    browser.screenshot("list", 1280);
    browser.screenshot("list", 390);
  }

  @Test
  void hostilePromptsAndOutputsAreShownAsTextAndRunNothing() throws Exception {
    String id =
        submit(
            Map.of(
                "name",
                "<script>window.__pwned = 1</script>",
                "prompt",
                HOSTILE_PROMPT,
                "labels",
                Map.of("x", "<b>bold</b>")));
    awaitStatus(id, "COMPLETED");
    open("#/tasks");
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-id='" + id + "']")));
    go("#/task/" + id);
    waitForStatus("COMPLETED");
    assertThat(text(By.id("prompt"))).isEqualTo(HOSTILE_PROMPT);
    assertThat(text(By.id("output")))
        .startsWith("mock[")
        .contains("<img src=x onerror=alert(1)> <script>");
    assertThat(text(By.cssSelector("h1 .t-title")))
        .isEqualTo("<script>window.__pwned = 1</script>");
    go("#/task/" + id + "/lineage");
    wait.until(d -> d.findElements(By.cssSelector("#lineage .node")).size() == 1);
    assertThat(browser.driver.findElements(By.cssSelector("main img, main script, main b")))
        .isEmpty();
    assertThat(browser.js("return window.__pwned === undefined")).isEqualTo(true);
    try {
      browser.driver.switchTo().alert();
      throw new AssertionError("an alert ran");
    } catch (NoAlertPresentException expected) {
      // nothing ran
    }
  }

  @Test
  void theOverviewShowsCountsChartsAndNodes() throws Exception {
    awaitStatus(
        submit(Map.of("name", "overview sample", "prompt", "Count the stars")), "COMPLETED");
    open("#/");
    wait.until(d -> !d.findElements(By.cssSelector(".tile[data-status=COMPLETED]")).isEmpty());
    wait.until(
        d ->
            d.findElement(By.cssSelector(".tile[data-status=COMPLETED] .tile-n"))
                .getText()
                .equals(String.format("%,d", completedCount())));
    wait.until(d -> d.findElements(By.cssSelector("svg.chart rect.ok")).size() > 0);
    assertThat(browser.driver.findElements(By.cssSelector("figure.chart-box"))).hasSize(3);
    wait.until(d -> d.findElement(By.id("nodes")).getText().contains(nodeId()));
    browser.screenshot("overview", 1280);
    browser.screenshot("overview", 390);
  }

  private int completedCount() {
    try {
      return api("GET", "/stats", null).path("counts").path("COMPLETED").asInt();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String nodeId() {
    try {
      return api("GET", "/health", null).path("node").asText();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theDashboardIsServedWithAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(URI.create(url(""))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertThat(csp)
        .contains("default-src 'self'")
        .contains("script-src 'self'")
        .doesNotContain("unsafe");
    HttpResponse<String> config =
        http.send(
            HttpRequest.newBuilder(URI.create(url("ui/config.json"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json.readTree(config.body()).path("readOnly").asBoolean()).isFalse();
    HttpResponse<String> escape =
        http.send(
            HttpRequest.newBuilder(URI.create(url("ui/..%2F..%2Fweb%2Fopenapi.json"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(escape.statusCode()).isGreaterThanOrEqualTo(400);
  }

  // ---- pipeline runs ----

  private String startRun(String pipeline, String goal, String project) throws Exception {
    Map<String, Object> body =
        project == null
            ? Map.of("goal", goal)
            : Map.of("goal", goal, "context", Map.of("project", project));
    return api("POST", "/pipelines/" + pipeline + "/runs", json.writeValueAsString(body))
        .path("id")
        .asText();
  }

  private String runStatus() {
    return browser
        .driver
        .findElement(By.cssSelector("h1[data-status]"))
        .getAttribute("data-status");
  }

  private List<String> attributes(String css, String... names) {
    return browser.driver.findElements(By.cssSelector(css)).stream()
        .map(
            e ->
                java.util.Arrays.stream(names)
                    .map(e::getAttribute)
                    .collect(Collectors.joining(">")))
        .toList();
  }

  private void clickStep(String step) {
    browser
        .driver
        .findElement(By.cssSelector("#run-graph .node[data-step='" + step + "']"))
        .click();
  }

  @Test
  void aRunIsDrawnAsAGraphAndAStepListThatFollowItUntilEveryStepCompleted() throws Exception {
    String id = startRun("weekly-update", "Weekly update for the steering group", "atlas");
    open("#/run/" + id);
    wait.until(d -> attributes("#run-steps tbody tr", "data-step").size() == 4);
    wait.until(
        d ->
            attributes("#run-steps tbody tr", "data-status")
                .equals(List.of("COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED")));
    wait.until(d -> runStatus().equals("COMPLETED"));
    // one node per step, one edge per dependency, parents above children
    assertThat(attributes("#run-graph .node", "data-step"))
        .containsExactlyInAnyOrder("tickets", "metrics", "risks", "update");
    assertThat(browser.driver.findElements(By.cssSelector("#run-graph .node.s-completed")))
        .hasSize(4);
    assertThat(Set.copyOf(attributes("#run-graph .edge", "data-from", "data-to")))
        .containsExactlyInAnyOrder(
            "tickets>risks", "tickets>update", "metrics>update", "risks>update");
    assertThat(browser.driver.findElements(By.cssSelector("#run-graph .edge"))).hasSize(4);
    String node = "#run-graph .node[data-step='%s'] rect";
    assertThat(boxY(node.formatted("tickets"))).isLessThan(boxY(node.formatted("risks")));
    assertThat(boxY(node.formatted("risks"))).isLessThan(boxY(node.formatted("update")));
    assertThat(text(By.id("run-summary"))).contains("4 of 4 steps");
    assertThat(text(By.id("run-result"))).startsWith("mock[").contains("risks");

    // a step's artifact and its trace, on a click in the graph
    clickStep("risks");
    wait.until(d -> d.findElement(By.id("step-output")).getText().contains("risk ATL-112"));
    assertThat(text(By.id("step-input"))).contains("ATL-101").contains("\"tickets\"");
    assertThat(text(By.id("step-trace"))).contains("risk_flags");
    assertThat(
            browser
                .driver
                .findElement(By.cssSelector("#run-steps tr[data-step='risks']"))
                .getAttribute("class"))
        .contains("selected");
    assertThat(browser.driver.findElements(By.cssSelector("#trace-list li")).size())
        .isGreaterThan(4);
    assertNoReload();
    browser.screenshot("run", 1280);
    browser.screenshot("run", 390);
    browser.js("document.getElementById('run-steps').scrollIntoView()");
    browser.screenshot("run-steps", 1280);

    go("#/runs");
    By row = By.cssSelector("#run-list .run-row[data-id='" + id + "']");
    wait.until(d -> "COMPLETED".equals(d.findElement(row).getAttribute("data-status")));
    assertThat(text(row)).contains("weekly-update").contains("4 of 4 steps");
    browser.screenshot("runs", 1280);
    browser.screenshot("runs", 390);
  }

  @Test
  void aRunStartedInTheFormIsPausedResumedAndCancelledFromItsPage() throws Exception {
    open("#/runs");
    new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("run-pipeline")))
        .selectByValue("slow-demo");
    browser.driver.findElement(By.id("run-goal")).sendKeys("Hold on");
    browser.driver.findElement(By.id("run-start")).click();
    wait.until(ExpectedConditions.urlMatches("#/run/[0-9a-f-]{36}$"));
    String id = browser.driver.getCurrentUrl().replaceAll(".*#/run/", "");
    By hold = By.cssSelector("#run-graph .node[data-step='hold']");
    wait.until(d -> d.findElement(hold).getAttribute("class").contains("s-running"));

    browser.driver.findElement(By.id("run-pause")).click();
    wait.until(d -> !d.findElements(By.cssSelector("h1 .s-paused")).isEmpty());
    assertThat(api("GET", "/runs/" + id, null).path("paused").asBoolean()).isTrue();
    browser.screenshot("run-paused", 1280);
    wait.until(ExpectedConditions.elementToBeClickable(By.id("run-resume"))).click();
    wait.until(d -> d.findElements(By.cssSelector("h1 .s-paused")).isEmpty());
    assertThat(api("GET", "/runs/" + id, null).path("paused").asBoolean()).isFalse();

    wait.until(ExpectedConditions.elementToBeClickable(By.id("run-cancel"))).click();
    wait.until(d -> runStatus().equals("CANCELLED"));
    wait.until(d -> d.findElement(hold).getAttribute("class").contains("s-cancelled"));
    assertThat(browser.driver.findElements(By.id("run-cancel"))).isEmpty();
    assertThat(browser.driver.findElements(By.id("rerun-form"))).hasSize(1);
    assertNoReload();
  }

  @Test
  void aFailedRunIsRerunFromItsFailedStepWithOtherArguments() throws Exception {
    String goal = "<img src=x onerror=alert(1)> update";
    String id = startRun("weekly-update", goal, "nowhere");
    awaitStatusAt("/runs/" + id, "FAILED");
    open("#/run/" + id);
    wait.until(d -> runStatus().equals("FAILED"));
    assertThat(text(By.id("run-error"))).contains("no project 'nowhere'");
    assertThat(text(By.id("run-summary"))).contains(goal);
    assertThat(browser.driver.findElements(By.cssSelector("main img"))).isEmpty();
    clickStep("tickets");
    wait.until(d -> d.findElement(By.id("step-error")).getText().contains("no project 'nowhere'"));
    assertThat(
            new org.openqa.selenium.support.ui.Select(
                    browser.driver.findElement(By.id("rerun-step")))
                .getFirstSelectedOption()
                .getText())
        .isEqualTo("tickets");
    WebElement arguments = browser.driver.findElement(By.id("rerun-arguments"));
    arguments.clear();
    arguments.sendKeys("{\"project\": \"atlas\"}");
    browser.screenshot("run-failed", 1280);
    browser.driver.findElement(By.id("rerun")).click();
    wait.until(
        d ->
            d.getCurrentUrl().matches(".*#/run/[0-9a-f-]{36}$") && !d.getCurrentUrl().endsWith(id));
    String again = browser.driver.getCurrentUrl().replaceAll(".*#/run/", "");
    wait.until(d -> runStatus().equals("COMPLETED"));
    assertThat(browser.driver.findElement(By.id("rerun-of")).getAttribute("href")).endsWith(id);
    JsonNode run = api("GET", "/runs/" + again, null);
    assertThat(run.path("rerunOf").asText()).isEqualTo(id);
    assertThat(run.path("steps").get(0).path("result").path("output").asText()).contains("ATL-101");
    assertNoReload();
  }
}

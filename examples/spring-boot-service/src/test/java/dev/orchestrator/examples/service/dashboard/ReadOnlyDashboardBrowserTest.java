package dev.orchestrator.examples.service.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** {@code orchestrator.dashboard.read-only=true}: every view shows, no action is offered. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"orchestrator.dashboard.read-only=true", "orchestrator.mock.latency=50ms"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadOnlyDashboardBrowserTest {
  @LocalServerPort int port;
  @Autowired Orchestrator orchestrator;
  @Autowired Pipelines pipelines;
  private Browser browser;
  private WebDriverWait wait;

  @BeforeAll
  void startBrowser() throws Exception {
    browser = Browser.start();
    browser.size(1280);
    wait = new WebDriverWait(browser.driver, Duration.ofSeconds(15));
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // views redraw live
  }

  @AfterAll
  void stopBrowser() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void noActionIsOfferedAnywhere() throws Exception {
    Task done =
        orchestrator
            .await(orchestrator.submit(TaskSpec.prompt("Name three seas").build()).id())
            .get(15, TimeUnit.SECONDS);
    assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
    Task queued =
        orchestrator.submit(
            TaskSpec.prompt("later").delay(Duration.ofHours(1)).name("scheduled").build());

    browser.driver.get("http://127.0.0.1:" + port + "/orchestrator/#/task/" + done.id());
    wait.until(
        d -> d.findElement(By.cssSelector("h1 .badge")).getText().equalsIgnoreCase("COMPLETED"));
    assertThat(browser.driver.findElements(By.id("use-as-new"))).isEmpty();
    assertThat(browser.driver.findElements(By.id("nav-new"))).isEmpty();

    browser.js("location.hash = arguments[0]", "#/task/" + queued.id());
    wait.until(
        d -> d.findElement(By.cssSelector("h1 .badge")).getText().equalsIgnoreCase("SCHEDULED"));
    assertThat(browser.driver.findElements(By.id("cancel"))).isEmpty();
    assertThat(browser.driver.findElements(By.cssSelector("section.actions button"))).isEmpty();

    browser.js("location.hash = '#/tasks?status=SCHEDULED'");
    wait.until(
        d ->
            !d.findElements(By.cssSelector("#task-list .task-row[data-id='" + queued.id() + "']"))
                .isEmpty());
    assertThat(browser.driver.findElements(By.id("bulk"))).as("no bulk actions").isEmpty();
    assertThat(browser.driver.findElements(By.id("bulk-cancel"))).isEmpty();

    browser.js("location.hash = '#/new'");
    wait.until(d -> d.findElement(By.cssSelector("main")).getText().contains("No such page"));
    assertThat(browser.driver.findElements(By.id("create"))).isEmpty();
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void schedulesAreListedWithoutTheirActions() {
    orchestrator.schedule(
        "read-only-hourly", Duration.ofHours(1), TaskSpec.prompt("hourly digest").build());
    try {
      browser.driver.get("http://127.0.0.1:" + port + "/orchestrator/#/schedules");
      wait.until(
          d ->
              !d.findElements(By.cssSelector("#schedule-list tr[data-name='read-only-hourly']"))
                  .isEmpty());
      assertThat(browser.driver.findElements(By.id("schedule-form"))).as("no form").isEmpty();
      assertThat(browser.driver.findElements(By.cssSelector("[data-remove]"))).isEmpty();
      assertThat(browser.consoleErrors()).isEmpty();
    } finally {
      orchestrator.unschedule("read-only-hourly");
    }
  }

  @Test
  void runsAreShownWithoutTheirActions() throws Exception {
    PipelineRun run =
        pipelines.await(
            orchestrator,
            pipelines.start(orchestrator, "weekly-update", "Read-only update", Map.of()).id(),
            Duration.ofSeconds(15));
    assertThat(run.status()).isEqualTo(PipelineRun.Status.COMPLETED);
    browser.driver.get("http://127.0.0.1:" + port + "/orchestrator/#/runs");
    wait.until(
        d ->
            !d.findElements(By.cssSelector("#run-list .run-row[data-id='" + run.id() + "']"))
                .isEmpty());
    assertThat(browser.driver.findElements(By.id("run-form"))).as("no start form").isEmpty();
    browser.js("location.hash = arguments[0]", "#/run/" + run.id());
    wait.until(d -> d.findElements(By.cssSelector("#run-graph .node.s-completed")).size() == 4);
    assertThat(browser.driver.findElements(By.id("rerun-form"))).isEmpty();
    assertThat(browser.driver.findElements(By.cssSelector("section.actions button"))).isEmpty();
    assertThat(browser.consoleErrors()).isEmpty();
  }
}

package dev.orchestrator.examples.service.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.examples.service.ServiceApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard's Schedules view in headless Chromium against the example service: a schedule
 * created through the API every second is listed with its next fire time, and its tasks appear
 * there, each opening its task; one is created in the form and removed after the confirm step.
 */
@SpringBootTest(
    classes = ServiceApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "orchestrator.mock.latency=100ms")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchedulesDashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Path SCREENSHOT = Path.of("/tmp/schedules-dashboard.png");

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
    wait.ignoring(StaleElementReferenceException.class); // the view redraws while live
  }

  @AfterAll
  void stopBrowser() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @AfterEach
  void noConsoleErrors() {
    assertThat(browser.consoleErrors()).as("browser console errors").isEmpty();
  }

  private HttpResponse<String> api(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orchestrator/api" + path));
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void open(String hash) {
    browser.driver.get("about:blank");
    browser.driver.get("http://127.0.0.1:" + port + "/orchestrator/" + hash);
  }

  /** An element's text, read again if the live view redrew it meanwhile. */
  private String text(By by) {
    return wait.until(d -> d.findElement(by).getText());
  }

  private By row(String name) {
    return By.cssSelector("#schedule-list tr[data-name='" + name + "']");
  }

  @Test
  void aScheduleEverySecondIsListedWithItsNextFireAndItsTasksAppear() throws Exception {
    HttpResponse<String> created =
        api(
            "PUT",
            "/schedules/heartbeat",
            """
            {"every": "PT1S", "task": {"name": "heartbeat", "prompt": "Report the time"}}""");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    api(
        "PUT",
        "/schedules/weekday-digest",
        """
        {"cron": "0 9 * * MON-FRI", "zone": "Europe/Berlin", "misfire": "SKIP",
         "task": {"name": "digest", "prompt": "Summarise yesterday's tickets"}}""");

    open("#/schedules");
    wait.until(ExpectedConditions.visibilityOfElementLocated(row("heartbeat")));
    assertThat(text(row("heartbeat"))).contains("every PT1S").contains("run once");
    // the next fire time is shown, and it is at most a second away
    Instant nextFire =
        wait.until(
            d ->
                Instant.parse(
                    d.findElement(By.cssSelector("tr[data-name='heartbeat'] .s-next time"))
                        .getAttribute("datetime")));
    assertThat(Duration.between(Instant.now(), nextFire)).isLessThan(Duration.ofSeconds(2));
    assertThat(text(row("weekday-digest")))
        .contains("cron 0 9 * * MON-FRI Europe/Berlin")
        .contains("skip");

    // its tasks appear in the row as they fire, live, and complete
    wait.until(
        d ->
            d.findElements(
                        By.cssSelector(
                            "tr[data-name='heartbeat'] .recent-task[data-status='COMPLETED']"))
                    .size()
                >= 3);
    assertThat(text(By.cssSelector("tr[data-name='heartbeat'] .s-last"))).isNotEqualTo("not yet");
    Path shot = browser.screenshot("schedules", 1280);
    Files.copy(shot, SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
    browser.screenshot("schedules", 390);

    // a recent task opens its task
    String href =
        wait.until(
            d -> {
              WebElement badge =
                  d.findElement(
                      By.cssSelector(
                          "tr[data-name='heartbeat'] .recent-task[data-status='COMPLETED']"));
              String link = badge.getAttribute("href");
              badge.click();
              return link;
            });
    String id = href.substring(href.lastIndexOf('/') + 1);
    wait.until(ExpectedConditions.urlMatches("#/task/" + id + "$"));
    wait.until(
        d -> d.findElement(By.cssSelector("h1 .badge")).getText().equalsIgnoreCase("COMPLETED"));
    assertThat(browser.driver.findElement(By.tagName("main")).getText())
        .contains("schedule=heartbeat")
        .contains("scheduledFor=");

    assertThat(api("DELETE", "/schedules/heartbeat", null).statusCode()).isEqualTo(204);
    assertThat(api("DELETE", "/schedules/weekday-digest", null).statusCode()).isEqualTo(204);
  }

  @Test
  void aScheduleIsCreatedInTheFormRefusedWhenBadAndRemovedAfterAConfirm() throws Exception {
    open("#/schedules");
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("schedule-form")));
    browser.driver.findElement(By.id("s-name")).sendKeys("nightly");
    new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("s-kind")))
        .selectByValue("cron");
    WebElement zone = browser.driver.findElement(By.id("s-zone"));
    assertThat(zone.isDisplayed()).isTrue();
    zone.clear();
    zone.sendKeys("Europe/Berlin");
    browser.driver.findElement(By.id("s-when")).sendKeys("61 2 * * *");
    browser.driver.findElement(By.id("s-prompt")).sendKeys("Nightly report");
    browser.driver.findElement(By.id("s-save")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("s-error")));
    assertThat(browser.driver.findElement(By.id("s-error")).getText())
        .contains("minute field: 61 is out of range 0-59");
    assertThat(browser.driver.findElements(row("nightly"))).isEmpty();

    WebElement when = browser.driver.findElement(By.id("s-when"));
    when.clear();
    when.sendKeys("30 2 * * *");
    browser.driver.findElement(By.id("s-save")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(row("nightly")));
    assertThat(browser.driver.findElement(By.id("s-saved")).getText())
        .contains("Created nightly: cron 30 2 * * * Europe/Berlin");
    JsonNode stored = json.readTree(api("GET", "/schedules/nightly", null).body());
    assertThat(stored.path("task").path("prompt").asText()).isEqualTo("Nightly report");
    assertThat(stored.path("zone").asText()).isEqualTo("Europe/Berlin");

    browser.driver.findElement(By.cssSelector("[data-remove='nightly']")).click();
    browser.driver.findElement(By.cssSelector("[data-confirm-remove='nightly']")).click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(row("nightly")));
    assertThat(api("GET", "/schedules/nightly", null).statusCode()).isEqualTo(404);
    List<String> left =
        json.readTree(api("GET", "/schedules", null).body()).findValuesAsText("name");
    assertThat(left).doesNotContain("nightly");
  }
}

package dev.orchestrator.examples.service.dashboard;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium through its own chromedriver: Selenium Manager never runs, nothing is
 * downloaded. Without Chromium the tests are skipped with one line, unless {@code
 * ORCHESTRATOR_REQUIRE_SERVERS=true} (CI), where they fail.
 */
final class Browser implements AutoCloseable {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  static Browser start() throws IOException {
    if (!CHROMIUM.canExecute() || !CHROMEDRIVER.canExecute()) {
      String line =
          "Chromium is missing (/usr/bin/chromium, /usr/bin/chromedriver): "
              + "apt-get install chromium chromium-driver to run the dashboard's browser tests";
      if ("true".equals(System.getenv("ORCHESTRATOR_REQUIRE_SERVERS"))) {
        throw new IllegalStateException(line);
      }
      // Deliberate skip, only on a developer's machine without Debian's Chromium: the reason is
      // printed; .ci/run installs it and sets ORCHESTRATOR_REQUIRE_SERVERS=true, which fails above.
      System.out.println("SKIPPED: " + line);
      Assumptions.abort(line);
    }
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getPath());
    Path profile = Files.createTempDirectory("dashboard-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--disable-features=BackForwardCache",
        "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    Files.createDirectories(SCREENSHOTS);
    return new Browser(driver, profile);
  }

  void size(int width) {
    driver.manage().window().setSize(new Dimension(width, width >= 1000 ? 1000 : 844));
  }

  /** A screenshot of the window at this width, under target/screenshots. */
  Path screenshot(String name, int width) {
    int before = driver.manage().window().getSize().width;
    size(width);
    try {
      // the views that draw to the window's width mark when they have drawn for this one
      new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(5))
          .until(
              d ->
                  Boolean.TRUE.equals(
                      js(
                          "return document.documentElement.dataset.drawnWidth"
                              + " === String(window.innerWidth)")));
      ((JavascriptExecutor) driver)
          .executeAsyncScript("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))");
      Path target = SCREENSHOTS.resolve(name + "-" + width + ".png");
      File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      size(before);
    }
  }

  /**
   * The console's errors since the last call, and those the page's onerror hook recorded. Chrome
   * also logs each 4xx answer as an error: those are the API refusing an action (a bad batch, the
   * endpoints an older server lacks), which the page shows, so they are left out; 5xx are kept.
   */
  List<String> consoleErrors() {
    List<String> errors =
        new java.util.ArrayList<>(
            driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                // Chrome logs every 4xx answer; a refusal the page shows is not an error of it
                .filter(
                    e ->
                        !e.getMessage()
                            .contains(
                                "Failed to load resource: the server responded with a status of 4"))
                .map(LogEntry::getMessage)
                .toList());
    Object recorded =
        ((JavascriptExecutor) driver)
            .executeScript("return (window.__dashboardErrors || []).splice(0)");
    if (recorded instanceof List<?> list) {
      list.forEach(e -> errors.add("onerror: " + e));
    }
    return errors;
  }

  Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    try (var files = Files.walk(profile)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

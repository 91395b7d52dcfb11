package dev.orchestrator.spring.dashboard;

import dev.orchestrator.spring.OrchestratorProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * Serves the dashboard: its page at {@code /orchestrator/}, its files at {@code /orchestrator/ui/},
 * and {@code /orchestrator/ui/config.json} (where the API is, whether actions are hidden). Every
 * answer carries a strict Content-Security-Policy: scripts, styles and connections from this origin
 * only, no inline script, no eval, no frames.
 */
@RestController
public class DashboardController {
  /** The policy of every dashboard answer. */
  public static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none';"
          + " form-action 'self'; frame-ancestors 'none'";

  private static final String ROOT = "/dev/orchestrator/spring/dashboard/";
  private static final Map<String, MediaType> TYPES =
      Map.of(
          "html", MediaType.TEXT_HTML,
          "js", MediaType.valueOf("text/javascript;charset=UTF-8"),
          "css", MediaType.valueOf("text/css;charset=UTF-8"),
          "svg", MediaType.valueOf("image/svg+xml"));

  private final OrchestratorProperties properties;
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  public DashboardController(OrchestratorProperties properties) {
    this.properties = properties;
  }

  @GetMapping("/orchestrator")
  public ResponseEntity<Void> redirect(HttpServletRequest request) {
    return ResponseEntity.status(HttpStatus.FOUND)
        .location(URI.create(request.getContextPath() + "/orchestrator/"))
        .build();
  }

  @GetMapping("/orchestrator/")
  public ResponseEntity<byte[]> page() {
    return file("index.html", CacheControl.noCache());
  }

  @GetMapping("/orchestrator/ui/config.json")
  public ResponseEntity<byte[]> config(HttpServletRequest request) {
    String json =
        "{\"apiBase\":"
            + quote(request.getContextPath() + properties.getWeb().getBasePath())
            + ",\"readOnly\":"
            + properties.getDashboard().isReadOnly()
            + "}";
    return secured(ResponseEntity.ok(), CacheControl.noStore())
        .contentType(MediaType.APPLICATION_JSON)
        .body(json.getBytes(StandardCharsets.UTF_8));
  }

  /** A file of the dashboard; names are plain (no directories), so nothing else can be read. */
  @GetMapping("/orchestrator/ui/{name:[a-z][a-z0-9-]*\\.(?:js|css|svg)}")
  public ResponseEntity<byte[]> asset(@PathVariable String name) {
    return file(name, CacheControl.noCache());
  }

  private ResponseEntity<byte[]> file(String name, CacheControl cacheControl) {
    byte[] bytes = cache.computeIfAbsent(name, DashboardController::load);
    if (bytes.length == 0) {
      return secured(ResponseEntity.status(HttpStatus.NOT_FOUND), CacheControl.noStore()).build();
    }
    MediaType type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    return secured(ResponseEntity.ok(), cacheControl).contentType(type).body(bytes);
  }

  private static ResponseEntity.BodyBuilder secured(
      ResponseEntity.BodyBuilder builder, CacheControl cacheControl) {
    return builder
        .cacheControl(cacheControl)
        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin")
        .header(HttpHeaders.VARY, "Accept-Encoding");
  }

  private static byte[] load(String name) {
    try (InputStream in = DashboardController.class.getResourceAsStream(ROOT + name)) {
      return in == null ? new byte[0] : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == '<' || c == '>') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}

package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * The OpenAPI document describes exactly the endpoints the starter serves, under its base path: the
 * pipeline endpoints when the service has pipelines (this one has), and not otherwise.
 */
@SpringBootTest(
    classes = ApiTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "orchestrator.store=memory",
      "orchestrator.web.base-path=/jobs/api",
      "spring.autoconfigure.exclude="
          + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class OpenApiDocumentTest {
  @LocalServerPort int port;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  @Test
  void theDocumentListsEveryEndpointAndNoOther() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/jobs/api/openapi.json"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = new ObjectMapper().readTree(r.body());
    assertThat(doc.path("openapi").asText()).startsWith("3.");
    assertThat(doc.path("servers").get(0).path("url").asText()).isEqualTo("/jobs/api");

    Set<String> documented = new TreeSet<>();
    doc.path("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fieldNames()
                    .forEachRemaining(m -> documented.add(m.toUpperCase() + " " + path.getKey())));
    Set<String> served = new TreeSet<>();
    mappings
        .getHandlerMethods()
        .forEach(
            (info, method) -> {
              if (ours(method)) {
                for (String pattern : info.getPatternValues()) {
                  info.getMethodsCondition()
                      .getMethods()
                      .forEach(
                          m ->
                              served.add(m.name() + " " + pattern.substring("/jobs/api".length())));
                }
              }
            });
    assertThat(served).isNotEmpty().isEqualTo(documented);
    doc.path("components")
        .path("schemas")
        .fields()
        .forEachRemaining(s -> assertThat(s.getValue().isObject()).as(s.getKey()).isTrue());
  }

  private static boolean ours(HandlerMethod method) {
    return method.getBeanType() == TaskApiController.class
        || method.getBeanType() == EventStreamController.class
        || method.getBeanType() == ScheduleApiController.class
        || method.getBeanType() == PipelineApiController.class;
  }

  @Test
  void withoutPipelinesTheDocumentHasNoPipelineEndpoints() throws Exception {
    TaskApiController api =
        new TaskApiController(
            null, OwnerResolver.NONE, new dev.orchestrator.spring.OrchestratorProperties());
    JsonNode doc =
        new ObjectMapper()
            .readTree(
                api.openApi(new org.springframework.mock.web.MockHttpServletRequest()).getBody());
    Set<String> paths = new TreeSet<>();
    doc.path("paths").fieldNames().forEachRemaining(paths::add);
    assertThat(paths).contains("/tasks", "/schedules", "/events");
    assertThat(paths)
        .noneMatch(p -> p.startsWith("/runs") || p.startsWith("/pipelines") || p.equals("/tools"));
    assertThat(doc.has("tags")).isFalse();
  }
}

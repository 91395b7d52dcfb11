package dev.orchestrator.spring.web;

import org.springframework.boot.test.context.SpringBootTest;

/** The pipeline endpoints on the embedded defaults: in-memory store, mock LLM. */
@SpringBootTest(
    classes = ApiTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "orchestrator.mock.latency=20ms",
      "orchestrator.store=memory",
      "spring.autoconfigure.exclude="
          + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class PipelineApiOnMemoryTest extends PipelineApiContract {}

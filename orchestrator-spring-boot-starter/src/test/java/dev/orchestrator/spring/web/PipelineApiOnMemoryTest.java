package dev.orchestrator.spring.web;

import org.springframework.boot.test.context.SpringBootTest;

/**
 * The pipeline endpoints on the embedded defaults: in-memory store, mock LLM. Its application name
 * gives it a context of its own: with ScheduleApiOnMemoryTest's properties it would share that
 * class's cached context, which the test framework stops between classes and restarts, and an
 * orchestrator that stopped (closed) cannot start again.
 */
@SpringBootTest(
    classes = ApiTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.application.name=pipeline-api-test",
      "orchestrator.mock.latency=20ms",
      "orchestrator.store=memory",
      "spring.autoconfigure.exclude="
          + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class PipelineApiOnMemoryTest extends PipelineApiContract {}

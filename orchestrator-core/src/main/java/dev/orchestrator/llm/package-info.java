/** LLM calls: request and response, errors, prices, the mock client and the langchain4j adapter. */
package dev.orchestrator.llm;

/** Spring Boot auto-configuration, properties, REST API and dashboard. */
package dev.orchestrator.spring;

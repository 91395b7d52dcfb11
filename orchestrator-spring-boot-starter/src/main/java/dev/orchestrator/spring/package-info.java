/** Spring Boot auto-configuration, properties, REST API and dashboard. Not built yet. */
package dev.orchestrator.spring;

/**
 * The live dashboard at {@code /orchestrator}: static HTML, CSS and JavaScript modules from the
 * starter jar, served with a strict Content-Security-Policy, over the public REST API and event
 * stream only.
 */
package dev.orchestrator.spring.dashboard;

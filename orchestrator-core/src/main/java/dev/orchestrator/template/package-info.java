/** Prompt templates: named prompts with {@code {{variables}}}, and parents' outputs in chains. */
package dev.orchestrator.template;

/** Retry: backoff with full jitter, and the classification of errors into retryable or fatal. */
package dev.orchestrator.retry;

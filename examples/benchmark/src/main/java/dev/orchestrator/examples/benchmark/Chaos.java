package dev.orchestrator.examples.benchmark;

/**
 * Placeholder for the chaos harness ({@code <impl> chaos ...}), which is written on its own branch
 * and replaces this file when merged.
 */
final class Chaos {
  private Chaos() {}

  static int run(String impl, String[] args) {
    System.out.println("chaos harness not in this build");
    return 2;
  }
}

package dev.metricspipeline.launcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs {@code metrics-pipeline} in this JVM and keeps what it reported. */
final class Commands {

  private Commands() {}

  /** A command's exit code and what it wrote to its error stream. */
  record Outcome(int code, String err) {}

  /** Executes {@code args} with {@code env} as the environment. */
  static Outcome execute(Map<String, String> env, String... args) {
    StringWriter err = new StringWriter();
    int code = Main.commandLine(env).setErr(new PrintWriter(err)).execute(args);
    return new Outcome(code, err.toString());
  }
}

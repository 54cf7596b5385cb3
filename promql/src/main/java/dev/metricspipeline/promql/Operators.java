package dev.metricspipeline.promql;

/** The binary operators and their precedence, lowest first, as in Prometheus. */
final class Operators {
  private Operators() {}

  /** 0 for a token that is no binary operator; {@code ^} binds tightest and to the right. */
  static int precedence(String op) {
    return switch (op) {
      case "or" -> 1;
      case "and", "unless" -> 2;
      case "==", "!=", "<=", "<", ">=", ">" -> 3;
      case "+", "-" -> 4;
      case "*", "/", "%", "atan2" -> 5;
      case "^" -> 6;
      default -> 0;
    };
  }

  static boolean isComparison(String op) {
    return precedence(op) == 3;
  }

  static boolean isSet(String op) {
    return op.equals("and") || op.equals("or") || op.equals("unless");
  }
}

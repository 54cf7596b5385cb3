package dev.metricspipeline.promql;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A parsed PromQL expression: an immutable tree whose nodes know their {@link ValueType}. {@link
 * #toString()} prints the canonical form (the one Prometheus's own printer gives, e.g. {@code sum
 * by (job) (rate(x[5m]))}), which parses back to an equal tree.
 */
public sealed interface Expr {

  /** What an expression evaluates to. */
  enum ValueType {
    SCALAR,
    VECTOR,
    MATRIX,
    STRING;

    @Override
    public String toString() {
      return switch (this) {
        case SCALAR -> "scalar";
        case VECTOR -> "instant vector";
        case MATRIX -> "range vector";
        case STRING -> "string";
      };
    }
  }

  ValueType type();

  /** A number: {@code 42}, {@code 1e3}, {@code 0x1f}, {@code Inf}, {@code NaN}. */
  record NumberLiteral(double value) implements Expr {
    @Override
    public ValueType type() {
      return ValueType.SCALAR;
    }

    @Override
    public String toString() {
      if (Double.isNaN(value)) {
        return "NaN";
      }
      if (Double.isInfinite(value)) {
        return value > 0 ? "Inf" : "-Inf";
      }
      if (value == Math.rint(value) && Math.abs(value) < 1e15) {
        return Long.toString((long) value);
      }
      return Double.toString(value);
    }
  }

  /** A string, as {@code label_replace} takes them. */
  record StringLiteral(String value) implements Expr {
    @Override
    public ValueType type() {
      return ValueType.STRING;
    }

    @Override
    public String toString() {
      return quote(value);
    }
  }

  /** How a label matcher compares. */
  enum MatchOp {
    EQ("="),
    NEQ("!="),
    RE("=~"),
    NRE("!~");

    final String text;

    MatchOp(String text) {
      this.text = text;
    }
  }

  /**
   * One label matcher; regexes are fully anchored, as in Prometheus.
   *
   * @param pattern the compiled regex for {@code =~} and {@code !~}, else null
   */
  record Matcher(String name, MatchOp op, String value, Pattern pattern) {
    public static Matcher of(String name, MatchOp op, String value) {
      Pattern p =
          op == MatchOp.RE || op == MatchOp.NRE
              ? Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL)
              : null;
      return new Matcher(name, op, value, p);
    }

    /** Whether a label value (empty when the label is absent) matches. */
    public boolean matches(String labelValue) {
      String v = labelValue == null ? "" : labelValue;
      return switch (op) {
        case EQ -> v.equals(value);
        case NEQ -> !v.equals(value);
        case RE -> pattern.matcher(v).matches();
        case NRE -> !pattern.matcher(v).matches();
      };
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Matcher m && m.name.equals(name) && m.op == op && m.value.equals(value);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + op.hashCode() * 7 + value.hashCode();
    }

    @Override
    public String toString() {
      return name + op.text + quote(value);
    }
  }

  /**
   * An instant vector selector: {@code http_requests_total{job="api"} offset 5m}.
   *
   * @param matchers every matcher, the metric name as {@code __name__="..."} included
   * @param offsetMs how far back the selection is moved (0 for none)
   */
  record VectorSelector(List<Matcher> matchers, long offsetMs) implements Expr {
    public VectorSelector {
      matchers = List.copyOf(matchers);
    }

    /** The metric name when a {@code __name__="..."} matcher gives it, else null. */
    public String name() {
      for (Matcher m : matchers) {
        if (m.name().equals("__name__") && m.op() == MatchOp.EQ) {
          return m.value();
        }
      }
      return null;
    }

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }

    @Override
    public String toString() {
      String name = name();
      List<Matcher> rest =
          matchers.stream()
              .filter(m -> name == null || !(m.name().equals("__name__") && m.op() == MatchOp.EQ))
              .toList();
      StringBuilder out = new StringBuilder(name == null ? "" : name);
      if (!rest.isEmpty() || name == null) {
        out.append(
            rest.stream().map(Matcher::toString).collect(Collectors.joining(", ", "{", "}")));
      }
      if (offsetMs != 0) {
        out.append(" offset ").append(Durations.format(offsetMs));
      }
      return out.toString();
    }
  }

  /** A range vector selector: {@code x[5m]}, its offset in the inner selector. */
  record MatrixSelector(VectorSelector selector, long rangeMs) implements Expr {
    @Override
    public ValueType type() {
      return ValueType.MATRIX;
    }

    @Override
    public String toString() {
      String inner = new VectorSelector(selector.matchers(), 0).toString();
      String offset =
          selector.offsetMs() == 0 ? "" : " offset " + Durations.format(selector.offsetMs());
      return inner + "[" + Durations.format(rangeMs) + "]" + offset;
    }
  }

  /** A function call; {@link Functions} knows the names, argument and return types. */
  record Call(String function, List<Expr> args, ValueType type) implements Expr {
    public Call {
      args = List.copyOf(args);
    }

    @Override
    public String toString() {
      return function
          + args.stream().map(Expr::toString).collect(Collectors.joining(", ", "(", ")"));
    }
  }

  /**
   * An aggregation: {@code sum by (job) (x)}, {@code topk(5, x)}.
   *
   * @param param the parameter of {@code topk}, {@code bottomk} and {@code quantile}, else null
   * @param without whether {@code grouping} lists the labels dropped rather than kept
   */
  record Aggregate(String op, Expr expr, Expr param, List<String> grouping, boolean without)
      implements Expr {
    public Aggregate {
      grouping = List.copyOf(grouping);
    }

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder(op);
      if (without || !grouping.isEmpty()) {
        out.append(without ? " without (" : " by (")
            .append(String.join(", ", grouping))
            .append(") ");
      }
      out.append('(');
      if (param != null) {
        out.append(param).append(", ");
      }
      return out.append(expr).append(')').toString();
    }
  }

  /** How a binary operation between two vectors pairs their elements. */
  enum Cardinality {
    ONE_TO_ONE,
    MANY_TO_ONE,
    ONE_TO_MANY,
    MANY_TO_MANY
  }

  /**
   * {@code on (a, b)} or {@code ignoring (c)}, and {@code group_left (d)} / {@code group_right}.
   *
   * @param on whether {@code labels} are the ones matched on (else the ones ignored)
   * @param include extra labels copied from the "one" side with {@code group_left/right}
   */
  record VectorMatching(Cardinality card, List<String> labels, boolean on, List<String> include) {
    public VectorMatching {
      labels = List.copyOf(labels);
      include = List.copyOf(include);
    }

    /** Plain one-to-one matching on all labels. */
    static VectorMatching defaults(Cardinality card) {
      return new VectorMatching(card, List.of(), false, List.of());
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder();
      if (on || !labels.isEmpty()) {
        out.append(on ? " on (" : " ignoring (").append(String.join(", ", labels)).append(')');
      }
      if (card == Cardinality.MANY_TO_ONE || card == Cardinality.ONE_TO_MANY) {
        out.append(card == Cardinality.MANY_TO_ONE ? " group_left" : " group_right");
        if (!include.isEmpty()) {
          out.append(" (").append(String.join(", ", include)).append(')');
        }
      }
      return out.toString();
    }
  }

  /**
   * A binary operation: arithmetic, comparison ({@code bool} returns 0/1 instead of filtering), or
   * a set operation ({@code and}, {@code or}, {@code unless}).
   *
   * @param matching for vector-vector operations, else null
   */
  record Binary(String op, Expr lhs, Expr rhs, boolean returnBool, VectorMatching matching)
      implements Expr {
    @Override
    public ValueType type() {
      return lhs.type() == ValueType.SCALAR && rhs.type() == ValueType.SCALAR
          ? ValueType.SCALAR
          : ValueType.VECTOR;
    }

    public boolean isComparison() {
      return Operators.isComparison(op);
    }

    public boolean isSet() {
      return Operators.isSet(op);
    }

    @Override
    public String toString() {
      String matchingText = "";
      if (matching != null) {
        boolean plain =
            !matching.on()
                && matching.labels().isEmpty()
                && (matching.card() == Cardinality.ONE_TO_ONE
                    || matching.card() == Cardinality.MANY_TO_MANY);
        matchingText = plain ? "" : matching.toString();
      }
      return lhs + " " + op + (returnBool ? " bool" : "") + matchingText + " " + rhs;
    }
  }

  /** Unary minus or plus. */
  record Unary(char op, Expr expr) implements Expr {
    @Override
    public ValueType type() {
      return expr.type();
    }

    @Override
    public String toString() {
      return op + expr.toString();
    }
  }

  /** Parentheses, kept so the printed form keeps them. */
  record Paren(Expr expr) implements Expr {
    @Override
    public ValueType type() {
      return expr.type();
    }

    @Override
    public String toString() {
      return "(" + expr + ")";
    }
  }

  /** A string in double quotes with Go's escapes, as Prometheus prints them. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}

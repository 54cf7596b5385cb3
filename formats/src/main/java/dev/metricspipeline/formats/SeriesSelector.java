package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.LineScanner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PromQL instant-vector selector: {@code http_requests_total{job="api",code=~"5.."}}, {@code
 * {__name__=~"node_.*"}}. The four matchers {@code =}, {@code !=}, {@code =~}, {@code !~} behave as
 * in Prometheus: a label a series does not have matches as the empty string, and regular
 * expressions are anchored at both ends. Label values are quoted with {@code "}, {@code '} (Go
 * escapes: {@code \\}, {@code \"}, {@code \'}, {@code \n}, {@code \t}) or backticks (raw).
 *
 * <p>Regular expressions are Java's, not RE2: the RE2 syntax Prometheus users write ({@code .*},
 * classes, alternation, {@code (?i)}) means the same in both.
 *
 * @param matchers the matchers, the metric name (if given before the braces) first as {@code
 *     __name__="..."}
 */
public record SeriesSelector(List<Matcher> matchers) {

  /** The four PromQL label matchers. */
  public enum Op {
    EQ("="),
    NEQ("!="),
    RE("=~"),
    NRE("!~");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }
  }

  /** One label matcher. */
  public record Matcher(String label, Op op, String value, Pattern pattern) {
    public Matcher {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(value, "value");
    }

    /**
     * A matcher; a regular expression is compiled here, anchored.
     *
     * @throws IllegalArgumentException if the regular expression does not compile
     */
    public static Matcher of(String label, Op op, String value) {
      Pattern pattern = null;
      if (op == Op.RE || op == Op.NRE) {
        try {
          pattern = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "invalid regular expression for label " + label + ": " + e.getDescription(), e);
        }
      }
      return new Matcher(label, op, value, pattern);
    }

    /** Whether a label value (empty when the series does not have the label) matches. */
    public boolean matches(String actual) {
      String v = actual == null ? "" : actual;
      return switch (op) {
        case EQ -> v.equals(value);
        case NEQ -> !v.equals(value);
        case RE -> pattern.matcher(v).matches();
        case NRE -> !pattern.matcher(v).matches();
      };
    }

    /** Whether this matcher accepts a series without the label. */
    public boolean matchesEmpty() {
      return matches("");
    }

    @Override
    public String toString() {
      return label + op.symbol() + '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
  }

  public SeriesSelector {
    matchers = List.copyOf(matchers);
  }

  /** Whether a series with this metric name and labels (without {@code __name__}) is selected. */
  public boolean matches(String name, Map<String, String> labels) {
    for (Matcher m : matchers) {
      String actual = "__name__".equals(m.label()) ? name : labels.get(m.label());
      if (!m.matches(actual)) {
        return false;
      }
    }
    return true;
  }

  /** The metric name if the selector pins it with {@code __name__="..."}, else null. */
  public String metricName() {
    for (Matcher m : matchers) {
      if ("__name__".equals(m.label()) && m.op() == Op.EQ) {
        return m.value();
      }
    }
    return null;
  }

  /**
   * Whether at least one matcher rejects the empty value, as Prometheus requires of a query
   * selector ({@code {job=~".*"}} alone would select everything).
   */
  public boolean hasNonEmptyMatcher() {
    return matchers.stream().anyMatch(m -> !m.matchesEmpty());
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < matchers.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(matchers.get(i));
    }
    return out.append('}').toString();
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException saying what is wrong and at which character
   */
  public static SeriesSelector parse(String text) {
    return new Parser(text).selector();
  }

  private static final class Parser {
    private final String s;
    private int i;

    Parser(String s) {
      this.s = Objects.requireNonNull(s, "selector");
    }

    SeriesSelector selector() {
      List<Matcher> matchers = new ArrayList<>();
      skipSpace();
      int nameStart = i;
      while (i < s.length() && isNameChar(s.charAt(i), i == nameStart, true)) {
        i++;
      }
      if (i > nameStart) {
        String name = s.substring(nameStart, i);
        if (!LineScanner.isMetricName(name)) {
          throw error(nameStart, "invalid metric name " + name);
        }
        matchers.add(Matcher.of("__name__", Op.EQ, name));
      }
      skipSpace();
      if (i < s.length() && s.charAt(i) == '{') {
        i++;
        skipSpace();
        while (i < s.length() && s.charAt(i) != '}') {
          matchers.add(matcher());
          skipSpace();
          if (i < s.length() && s.charAt(i) == ',') {
            i++;
            skipSpace();
          } else if (i < s.length() && s.charAt(i) != '}') {
            throw error(i, "expected ',' or '}' after a label matcher");
          }
        }
        if (i >= s.length()) {
          throw error(i, "unclosed '{'");
        }
        i++;
        skipSpace();
      }
      if (i < s.length()) {
        throw error(i, "unexpected '" + s.charAt(i) + "'");
      }
      if (matchers.isEmpty()) {
        throw error(0, "a selector needs a metric name or at least one label matcher");
      }
      return new SeriesSelector(matchers);
    }

    private Matcher matcher() {
      int start = i;
      while (i < s.length() && isNameChar(s.charAt(i), i == start, false)) {
        i++;
      }
      if (i == start) {
        throw error(i, "expected a label name");
      }
      String label = s.substring(start, i);
      skipSpace();
      Op op;
      if (s.startsWith("=~", i)) {
        op = Op.RE;
      } else if (s.startsWith("!~", i)) {
        op = Op.NRE;
      } else if (s.startsWith("!=", i)) {
        op = Op.NEQ;
      } else if (s.startsWith("=", i)) {
        op = Op.EQ;
      } else {
        throw error(i, "expected one of =, !=, =~, !~ after label " + label);
      }
      i += op.symbol().length();
      skipSpace();
      String value = quoted();
      try {
        return Matcher.of(label, op, value);
      } catch (IllegalArgumentException e) {
        throw error(start, e.getMessage());
      }
    }

    private String quoted() {
      if (i >= s.length()) {
        throw error(i, "expected a quoted label value");
      }
      char quote = s.charAt(i);
      if (quote != '"' && quote != '\'' && quote != '`') {
        throw error(i, "expected a quoted label value");
      }
      int open = i++;
      StringBuilder out = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == quote) {
          return out.toString();
        }
        if (c == '\\' && quote != '`') {
          if (i >= s.length()) {
            break;
          }
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> out.append('\n');
            case 't' -> out.append('\t');
            case '\\', '"', '\'' -> out.append(e);
            default -> throw error(i - 2, "unknown escape \\" + e);
          }
        } else {
          out.append(c);
        }
      }
      throw error(open, "unterminated quoted string");
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private static boolean isNameChar(char c, boolean first, boolean colon) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || c == '_'
          || (colon && c == ':')
          || (!first && c >= '0' && c <= '9');
    }

    private IllegalArgumentException error(int at, String what) {
      return new IllegalArgumentException(
          "bad selector " + s + " at character " + (at + 1) + ": " + what);
    }
  }
}

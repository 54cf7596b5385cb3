package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Expr.Aggregate;
import dev.metricspipeline.promql.Expr.Binary;
import dev.metricspipeline.promql.Expr.Call;
import dev.metricspipeline.promql.Expr.Cardinality;
import dev.metricspipeline.promql.Expr.MatchOp;
import dev.metricspipeline.promql.Expr.Matcher;
import dev.metricspipeline.promql.Expr.MatrixSelector;
import dev.metricspipeline.promql.Expr.NumberLiteral;
import dev.metricspipeline.promql.Expr.Paren;
import dev.metricspipeline.promql.Expr.StringLiteral;
import dev.metricspipeline.promql.Expr.Unary;
import dev.metricspipeline.promql.Expr.ValueType;
import dev.metricspipeline.promql.Expr.VectorMatching;
import dev.metricspipeline.promql.Expr.VectorSelector;
import dev.metricspipeline.promql.Lexer.Kind;
import dev.metricspipeline.promql.Lexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * PromQL text to a typed {@link Expr}, with Prometheus's grammar, operator precedence ({@code ^}
 * right-associative and above unary minus, then {@code * / % atan2}, {@code + -}, comparisons,
 * {@code and unless}, {@code or}) and type rules. What this engine does not answer (subqueries, the
 * {@code @} modifier, functions and aggregations outside {@link Functions}) is refused by name,
 * never parsed into something that would be answered wrongly.
 */
public final class Parser {

  private final List<Token> tokens;
  private int i;
  private int depth;
  private int operators;

  /** How many binary operators one query may have (each adds a level to the evaluated tree). */
  static final int MAX_OPERATORS = 1000;

  /**
   * How deeply expressions may nest (parentheses, unary signs, arguments): far beyond dashboards.
   */
  static final int MAX_DEPTH = 200;

  private Parser(String query) {
    this.tokens = Lexer.tokens(query);
  }

  /**
   * Parses one expression.
   *
   * @throws PromQLException naming what is wrong and where
   */
  public static Expr parse(String query) {
    Parser parser = new Parser(query);
    if (parser.peek().kind() == Kind.EOF) {
      throw new PromQLException(-1, "no expression found in input");
    }
    Expr expr = parser.expression(1);
    Token rest = parser.peek();
    if (rest.kind() != Kind.EOF) {
      throw new PromQLException(rest.position(), "unexpected " + rest);
    }
    return expr;
  }

  private Token peek() {
    return tokens.get(i);
  }

  private Token peek(int ahead) {
    return tokens.get(Math.min(i + ahead, tokens.size() - 1));
  }

  private Token next() {
    return tokens.get(i++);
  }

  private Token expect(Kind kind, String what) {
    Token t = next();
    if (t.kind() != kind) {
      throw new PromQLException(t.position(), "unexpected " + t + ", expected " + what);
    }
    return t;
  }

  private boolean keyword(String word) {
    Token t = peek();
    return t.kind() == Kind.IDENTIFIER && t.text().equalsIgnoreCase(word);
  }

  /** The binary operator at the current token, or null. */
  private String binaryOperator() {
    Token t = peek();
    if (t.kind() == Kind.OPERATOR
        && !t.text().equals("=")
        && !t.text().equals("=~")
        && !t.text().equals("!~")) {
      return t.text();
    }
    if (t.kind() == Kind.IDENTIFIER) {
      String w = t.text().toLowerCase(java.util.Locale.ROOT);
      if (w.equals("and") || w.equals("or") || w.equals("unless") || w.equals("atan2")) {
        return w;
      }
    }
    return null;
  }

  private Expr expression(int minPrecedence) {
    Expr lhs = unary();
    while (true) {
      String op = binaryOperator();
      if (op == null) {
        return lhs;
      }
      int precedence = Operators.precedence(op);
      if (precedence < minPrecedence) {
        return lhs;
      }
      Token opToken = next();
      if (++operators > MAX_OPERATORS) {
        throw new PromQLException(
            opToken.position(), "more than " + MAX_OPERATORS + " binary operators");
      }
      if (op.equals("atan2")) {
        throw new PromQLException(opToken.position(), "the atan2 operator is not supported");
      }
      boolean returnBool = false;
      if (keyword("bool")) {
        next();
        returnBool = true;
      }
      VectorMatching matching = matching(op);
      Expr rhs = expression(op.equals("^") ? precedence : precedence + 1);
      lhs = binary(opToken, op, lhs, rhs, returnBool, matching);
    }
  }

  /**
   * {@code on (...)} / {@code ignoring (...)} and {@code group_left (...)} / {@code group_right}.
   */
  private VectorMatching matching(String op) {
    Cardinality card = Operators.isSet(op) ? Cardinality.MANY_TO_MANY : Cardinality.ONE_TO_ONE;
    if (!keyword("on") && !keyword("ignoring")) {
      return VectorMatching.defaults(card);
    }
    Token at = next();
    boolean on = at.text().equalsIgnoreCase("on");
    List<String> labels = labelList();
    List<String> include = List.of();
    if (keyword("group_left") || keyword("group_right")) {
      Token group = next();
      if (Operators.isSet(op)) {
        throw new PromQLException(
            group.position(), "no grouping allowed for \"" + op + "\" operation");
      }
      card =
          group.text().equalsIgnoreCase("group_left")
              ? Cardinality.MANY_TO_ONE
              : Cardinality.ONE_TO_MANY;
      if (peek().kind() == Kind.LEFT_PAREN) {
        include = labelList();
      }
      for (String label : include) {
        if (on && labels.contains(label)) {
          throw new PromQLException(
              group.position(),
              "label \"" + label + "\" must not occur in ON and GROUP clause at once");
        }
      }
    }
    return new VectorMatching(card, labels, on, include);
  }

  private Expr binary(
      Token at, String op, Expr lhs, Expr rhs, boolean returnBool, VectorMatching matching) {
    ValueType l = lhs.type();
    ValueType r = rhs.type();
    if ((l != ValueType.SCALAR && l != ValueType.VECTOR)
        || (r != ValueType.SCALAR && r != ValueType.VECTOR)) {
      throw new PromQLException(
          at.position(), "binary expression must contain only scalar and instant vector types");
    }
    boolean vectors = l == ValueType.VECTOR && r == ValueType.VECTOR;
    if (returnBool && !Operators.isComparison(op)) {
      throw new PromQLException(
          at.position(), "bool modifier can only be used on comparison operators");
    }
    if (Operators.isComparison(op)
        && !returnBool
        && !vectors
        && l == ValueType.SCALAR
        && r == ValueType.SCALAR) {
      throw new PromQLException(
          at.position(), "comparisons between scalars must use BOOL modifier");
    }
    if (Operators.isSet(op) && !vectors) {
      throw new PromQLException(
          at.position(), "set operator \"" + op + "\" not allowed in binary scalar expression");
    }
    boolean explicit =
        matching.on()
            || !matching.labels().isEmpty()
            || matching.card() == Cardinality.MANY_TO_ONE
            || matching.card() == Cardinality.ONE_TO_MANY;
    if (explicit && !vectors) {
      throw new PromQLException(
          at.position(), "vector matching only allowed between instant vectors");
    }
    return new Binary(op, lhs, rhs, returnBool, vectors ? matching : null);
  }

  private Expr unary() {
    if (++depth > MAX_DEPTH) {
      throw new PromQLException(
          peek().position(), "expression nested more than " + MAX_DEPTH + " deep");
    }
    try {
      return unaryAt();
    } finally {
      depth--;
    }
  }

  private Expr unaryAt() {
    Token t = peek();
    if (t.kind() == Kind.OPERATOR && (t.text().equals("-") || t.text().equals("+"))) {
      next();
      Expr operand = expression(Operators.precedence("^"));
      if (operand.type() != ValueType.SCALAR && operand.type() != ValueType.VECTOR) {
        throw new PromQLException(
            t.position(),
            "unary expression only allowed on expressions of type scalar or instant vector, got"
                + " \""
                + operand.type()
                + "\"");
      }
      return new Unary(t.text().charAt(0), operand);
    }
    return postfix(primary());
  }

  private Expr postfix(Expr expr) {
    while (true) {
      Token t = peek();
      if (t.kind() == Kind.LEFT_BRACKET) {
        next();
        if (!(expr instanceof VectorSelector selector)) {
          if (peekIsSubquery()) {
            throw new PromQLException(t.position(), "subqueries are not supported");
          }
          throw new PromQLException(t.position(), "ranges only allowed for vector selectors");
        }
        if (selector.offsetMs() != 0) {
          throw new PromQLException(t.position(), "unexpected \"[\" after offset");
        }
        Token d = expect(Kind.DURATION, "a duration");
        long range = duration(d);
        if (peek().kind() == Kind.COLON) {
          throw new PromQLException(t.position(), "subqueries are not supported");
        }
        expect(Kind.RIGHT_BRACKET, "\"]\"");
        if (range <= 0) {
          throw new PromQLException(d.position(), "range must be positive");
        }
        expr = new MatrixSelector(selector, range);
      } else if (keyword("offset")) {
        next();
        boolean negative = false;
        if (peek().is(Kind.OPERATOR, "-")) {
          next();
          negative = true;
        }
        long offset = duration(expect(Kind.DURATION, "a duration"));
        if (negative) {
          offset = -offset;
        }
        if (expr instanceof VectorSelector v && v.offsetMs() == 0) {
          expr = new VectorSelector(v.matchers(), offset);
        } else if (expr instanceof MatrixSelector m && m.selector().offsetMs() == 0) {
          expr =
              new MatrixSelector(new VectorSelector(m.selector().matchers(), offset), m.rangeMs());
        } else {
          throw new PromQLException(
              t.position(),
              "offset modifier must be preceded by an instant vector selector or range vector"
                  + " selector");
        }
      } else if (t.kind() == Kind.AT) {
        throw new PromQLException(t.position(), "the @ modifier is not supported");
      } else {
        return expr;
      }
    }
  }

  private boolean peekIsSubquery() {
    for (int k = 0; k < 4; k++) {
      if (peek(k).kind() == Kind.COLON) {
        return true;
      }
      if (peek(k).kind() == Kind.RIGHT_BRACKET) {
        return false;
      }
    }
    return false;
  }

  private Expr primary() {
    Token t = next();
    switch (t.kind()) {
      case NUMBER:
        return new NumberLiteral(number(t));
      case STRING:
        return new StringLiteral(t.text());
      case LEFT_PAREN:
        {
          Expr inner = expression(1);
          expect(Kind.RIGHT_PAREN, "\")\"");
          return new Paren(inner);
        }
      case LEFT_BRACE:
        return selector(null, t);
      case IDENTIFIER:
        {
          String name = t.text();
          boolean call = peek().kind() == Kind.LEFT_PAREN;
          if (Functions.isAggregation(name.toLowerCase(java.util.Locale.ROOT))
              && (call || keyword("by") || keyword("without"))) {
            return aggregate(t);
          }
          if (call) {
            return call(t);
          }
          if (peek().kind() == Kind.LEFT_BRACE) {
            next();
            return selector(name, t);
          }
          return checkedSelector(List.of(Matcher.of("__name__", MatchOp.EQ, name)), t);
        }
      default:
        throw new PromQLException(t.position(), "unexpected " + t);
    }
  }

  private Expr selector(String name, Token start) {
    List<Matcher> matchers = new ArrayList<>();
    if (name != null) {
      matchers.add(Matcher.of("__name__", MatchOp.EQ, name));
    }
    while (peek().kind() != Kind.RIGHT_BRACE) {
      Token label = next();
      if (label.kind() != Kind.IDENTIFIER) {
        throw new PromQLException(
            label.position(), "unexpected " + label + " in label matching, expected label name");
      }
      Token op = next();
      MatchOp matchOp =
          switch (op.kind() == Kind.OPERATOR ? op.text() : "") {
            case "=" -> MatchOp.EQ;
            case "!=" -> MatchOp.NEQ;
            case "=~" -> MatchOp.RE;
            case "!~" -> MatchOp.NRE;
            default ->
                throw new PromQLException(
                    op.position(),
                    "unexpected " + op + " in label matching, expected label matching operator");
          };
      Token value = next();
      if (value.kind() != Kind.STRING) {
        throw new PromQLException(
            value.position(), "unexpected " + value + " in label matching, expected string");
      }
      try {
        matchers.add(Matcher.of(label.text(), matchOp, value.text()));
      } catch (PatternSyntaxException e) {
        throw new PromQLException(
            value.position(),
            "invalid regular expression \"" + value.text() + "\": " + e.getDescription());
      }
      if (peek().kind() == Kind.COMMA) {
        next();
      } else if (peek().kind() != Kind.RIGHT_BRACE) {
        throw new PromQLException(
            peek().position(),
            "unexpected " + peek() + " in label matching, expected \",\" or \"}\"");
      }
    }
    next();
    return checkedSelector(matchers, start);
  }

  private Expr checkedSelector(List<Matcher> matchers, Token start) {
    long names =
        matchers.stream().filter(m -> m.name().equals("__name__") && m.op() == MatchOp.EQ).count();
    if (names > 1) {
      throw new PromQLException(start.position(), "metric name must not be set twice");
    }
    if (matchers.stream().allMatch(m -> m.matches(""))) {
      throw new PromQLException(
          start.position(), "vector selector must contain at least one non-empty matcher");
    }
    return new VectorSelector(matchers, 0);
  }

  private Expr call(Token name) {
    String function = name.text();
    Functions.Signature signature = Functions.SUPPORTED.get(function);
    if (signature == null) {
      if (Functions.UNSUPPORTED.contains(function)) {
        throw new PromQLException(
            name.position(), "function \"" + function + "\" is not supported by this engine");
      }
      throw new PromQLException(name.position(), "unknown function with name \"" + function + "\"");
    }
    next(); // (
    List<Expr> args = new ArrayList<>();
    if (peek().kind() != Kind.RIGHT_PAREN) {
      args.add(expression(1));
      while (peek().kind() == Kind.COMMA) {
        next();
        args.add(expression(1));
      }
    }
    expect(Kind.RIGHT_PAREN, "\")\"");
    int max = signature.args().size();
    int min = max - signature.optional();
    if (args.size() < min || args.size() > max) {
      throw new PromQLException(
          name.position(),
          "expected "
              + (min == max ? String.valueOf(min) : min + " to " + max)
              + " argument(s) in call to \""
              + function
              + "\", got "
              + args.size());
    }
    for (int a = 0; a < args.size(); a++) {
      ValueType want = signature.args().get(a);
      ValueType got = args.get(a).type();
      if (got != want) {
        throw new PromQLException(
            name.position(),
            "expected type " + want + " in call to function \"" + function + "\", got " + got);
      }
    }
    return new Call(function, args, signature.returns());
  }

  private Expr aggregate(Token name) {
    String op = name.text().toLowerCase(java.util.Locale.ROOT);
    if (Functions.UNSUPPORTED_AGGREGATIONS.contains(op)) {
      throw new PromQLException(
          name.position(), "aggregation \"" + op + "\" is not supported by this engine");
    }
    List<String> grouping = List.of();
    boolean without = false;
    boolean grouped = false;
    if (keyword("by") || keyword("without")) {
      without = next().text().equalsIgnoreCase("without");
      grouping = labelList();
      grouped = true;
    }
    expect(Kind.LEFT_PAREN, "\"(\"");
    Expr param = null;
    if (Functions.AGGREGATIONS_WITH_PARAM.contains(op)) {
      param = expression(1);
      expect(Kind.COMMA, "\",\"");
      if (param.type() != ValueType.SCALAR) {
        throw new PromQLException(
            name.position(), "expected type scalar in aggregation parameter, got " + param.type());
      }
    }
    Expr expr = expression(1);
    expect(Kind.RIGHT_PAREN, "\")\"");
    if (keyword("by") || keyword("without")) {
      Token at = next();
      if (grouped) {
        throw new PromQLException(at.position(), "unexpected " + at + ": grouping given twice");
      }
      without = at.text().equalsIgnoreCase("without");
      grouping = labelList();
    }
    if (expr.type() != ValueType.VECTOR) {
      throw new PromQLException(
          name.position(),
          "expected type instant vector in aggregation expression, got " + expr.type());
    }
    return new Aggregate(op, expr, param, grouping, without);
  }

  /** {@code (a, b, c)}, a trailing comma allowed. */
  private List<String> labelList() {
    expect(Kind.LEFT_PAREN, "\"(\"");
    List<String> labels = new ArrayList<>();
    while (peek().kind() != Kind.RIGHT_PAREN) {
      Token label = next();
      if (label.kind() != Kind.IDENTIFIER) {
        throw new PromQLException(
            label.position(), "unexpected " + label + " in grouping opts, expected label");
      }
      labels.add(label.text());
      if (peek().kind() == Kind.COMMA) {
        next();
      } else if (peek().kind() != Kind.RIGHT_PAREN) {
        throw new PromQLException(
            peek().position(),
            "unexpected " + peek() + " in grouping opts, expected \",\" or \")\"");
      }
    }
    next();
    return labels;
  }

  private static long duration(Token t) {
    try {
      return Durations.parse(t.text());
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new PromQLException(t.position(), "bad duration \"" + t.text() + "\"");
    }
  }

  private static double number(Token t) {
    String text = t.text();
    if (text.equalsIgnoreCase("inf")) {
      return Double.POSITIVE_INFINITY;
    }
    if (text.equalsIgnoreCase("nan")) {
      return Double.NaN;
    }
    try {
      if (text.startsWith("0x") || text.startsWith("0X")) {
        return Long.parseLong(text.substring(2), 16);
      }
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new PromQLException(t.position(), "bad number or duration syntax: \"" + text + "\"");
    }
  }
}

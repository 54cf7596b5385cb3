package dev.metricspipeline.promql;

import java.util.ArrayList;
import java.util.List;

/** PromQL text to tokens, each with its offset; comments ({@code # ...}) are skipped. */
final class Lexer {

  enum Kind {
    IDENTIFIER,
    NUMBER,
    DURATION,
    STRING,
    OPERATOR,
    LEFT_PAREN,
    RIGHT_PAREN,
    LEFT_BRACE,
    RIGHT_BRACE,
    LEFT_BRACKET,
    RIGHT_BRACKET,
    COMMA,
    COLON,
    AT,
    EOF
  }

  record Token(Kind kind, String text, int position) {
    boolean is(Kind k, String t) {
      return kind == k && text.equals(t);
    }

    @Override
    public String toString() {
      return kind == Kind.EOF ? "end of input" : "\"" + text + "\"";
    }
  }

  private final String input;
  private int pos;

  private Lexer(String input) {
    this.input = input;
  }

  static List<Token> tokens(String input) {
    Lexer lexer = new Lexer(input);
    List<Token> out = new ArrayList<>();
    Token t;
    do {
      t = lexer.next(out.isEmpty() ? null : out.get(out.size() - 1));
      out.add(t);
    } while (t.kind() != Kind.EOF);
    return out;
  }

  private Token next(Token previous) {
    skipSpace();
    if (pos >= input.length()) {
      return new Token(Kind.EOF, "", pos);
    }
    int start = pos;
    char c = input.charAt(pos);
    switch (c) {
      case '(':
        pos++;
        return new Token(Kind.LEFT_PAREN, "(", start);
      case ')':
        pos++;
        return new Token(Kind.RIGHT_PAREN, ")", start);
      case '{':
        pos++;
        return new Token(Kind.LEFT_BRACE, "{", start);
      case '}':
        pos++;
        return new Token(Kind.RIGHT_BRACE, "}", start);
      case '[':
        pos++;
        return new Token(Kind.LEFT_BRACKET, "[", start);
      case ']':
        pos++;
        return new Token(Kind.RIGHT_BRACKET, "]", start);
      case ',':
        pos++;
        return new Token(Kind.COMMA, ",", start);
      case ':':
        pos++;
        return new Token(Kind.COLON, ":", start);
      case '@':
        pos++;
        return new Token(Kind.AT, "@", start);
      case '"', '\'', '`':
        return string(c);
      default:
        break;
    }
    for (String op : new String[] {"==", "!=", ">=", "<=", "=~", "!~"}) {
      if (input.startsWith(op, pos)) {
        pos += 2;
        return new Token(Kind.OPERATOR, op, start);
      }
    }
    if ("+-*/%^<>=".indexOf(c) >= 0) {
      pos++;
      return new Token(Kind.OPERATOR, String.valueOf(c), start);
    }
    boolean afterBracket =
        previous != null
            && (previous.kind() == Kind.LEFT_BRACKET || previous.kind() == Kind.COLON)
            && Character.isDigit(c);
    if (Character.isDigit(c)
        || (c == '.' && pos + 1 < input.length() && Character.isDigit(input.charAt(pos + 1)))) {
      Token duration = duration(start);
      if (duration != null) {
        return duration;
      }
      if (afterBracket) {
        throw new PromQLException(start, "bad duration " + word(start));
      }
      return number(start);
    }
    if (Character.isLetter(c) || c == '_' || c == ':') {
      while (pos < input.length()) {
        char d = input.charAt(pos);
        if (Character.isLetterOrDigit(d) || d == '_' || d == ':') {
          pos++;
        } else {
          break;
        }
      }
      String text = input.substring(start, pos);
      // Inf and NaN are numbers wherever an identifier is not expected after them.
      if (text.equalsIgnoreCase("inf") || text.equalsIgnoreCase("nan")) {
        return new Token(Kind.NUMBER, text, start);
      }
      return new Token(Kind.IDENTIFIER, text, start);
    }
    throw new PromQLException(start, "unexpected character \"" + c + "\"");
  }

  private String word(int start) {
    int end = start;
    while (end < input.length() && Character.isLetterOrDigit(input.charAt(end))) {
      end++;
    }
    return "\"" + input.substring(start, end) + "\"";
  }

  /** A duration such as {@code 5m} or {@code 1h30m}; null when the text is a plain number. */
  private Token duration(int start) {
    int i = start;
    boolean any = false;
    while (i < input.length() && Character.isDigit(input.charAt(i))) {
      int digits = i;
      while (i < input.length() && Character.isDigit(input.charAt(i))) {
        i++;
      }
      int unit = i;
      while (i < input.length() && Character.isLetter(input.charAt(i))) {
        i++;
      }
      String u = input.substring(unit, i);
      if (digits == unit || !isUnit(u)) {
        return any ? fail(start) : null;
      }
      any = true;
    }
    if (!any) {
      return null;
    }
    pos = i;
    return new Token(Kind.DURATION, input.substring(start, i), start);
  }

  private Token fail(int start) {
    throw new PromQLException(start, "bad duration " + word(start));
  }

  private static boolean isUnit(String u) {
    return switch (u) {
      case "ms", "s", "m", "h", "d", "w", "y" -> true;
      default -> false;
    };
  }

  private Token number(int start) {
    if (input.startsWith("0x", pos) || input.startsWith("0X", pos)) {
      pos += 2;
      while (pos < input.length() && Character.digit(input.charAt(pos), 16) >= 0) {
        pos++;
      }
      return new Token(Kind.NUMBER, input.substring(start, pos), start);
    }
    while (pos < input.length()
        && (Character.isDigit(input.charAt(pos)) || input.charAt(pos) == '.')) {
      pos++;
    }
    if (pos < input.length() && (input.charAt(pos) == 'e' || input.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < input.length() && (input.charAt(pos) == '+' || input.charAt(pos) == '-')) {
        pos++;
      }
      if (pos < input.length() && Character.isDigit(input.charAt(pos))) {
        while (pos < input.length() && Character.isDigit(input.charAt(pos))) {
          pos++;
        }
      } else {
        pos = save;
      }
    }
    return new Token(Kind.NUMBER, input.substring(start, pos), start);
  }

  private Token string(char quote) {
    int start = pos;
    pos++;
    StringBuilder out = new StringBuilder();
    while (pos < input.length()) {
      char c = input.charAt(pos++);
      if (c == quote) {
        return new Token(Kind.STRING, out.toString(), start);
      }
      if (c == '\\' && quote != '`') {
        if (pos >= input.length()) {
          break;
        }
        char e = input.charAt(pos++);
        switch (e) {
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          case 'r' -> out.append('\r');
          case 'a' -> out.append('\u0007');
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'v' -> out.append('\u000b');
          case '\\', '"', '\'' -> out.append(e);
          case 'x' -> out.append((char) hex(2, start));
          case 'u' -> out.append((char) hex(4, start));
          case 'U' -> out.appendCodePoint(hex(8, start));
          default -> throw new PromQLException(pos - 2, "unknown escape sequence \\" + e);
        }
        continue;
      }
      if (c == '\n' && quote != '`') {
        break;
      }
      out.append(c);
    }
    throw new PromQLException(start, "unterminated quoted string");
  }

  private int hex(int digits, int start) {
    if (pos + digits > input.length()) {
      throw new PromQLException(start, "unterminated escape sequence");
    }
    try {
      int v = Integer.parseInt(input.substring(pos, pos + digits), 16);
      pos += digits;
      return v;
    } catch (NumberFormatException e) {
      throw new PromQLException(pos, "bad escape sequence");
    }
  }

  private void skipSpace() {
    while (pos < input.length()) {
      char c = input.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '#') {
        while (pos < input.length() && input.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }
}

package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the parts of one line left to right and reports errors with the line, the column and what
 * was expected: {@code line 3, column 5: expected label value, got "'"}.
 */
public final class LineScanner {

  private final String text;
  private final int line;
  private int pos;

  public LineScanner(String text, int line) {
    this.text = text;
    this.line = line;
  }

  public int line() {
    return line;
  }

  public int pos() {
    return pos;
  }

  public boolean atEnd() {
    return pos >= text.length();
  }

  public char peek() {
    return text.charAt(pos);
  }

  public String rest() {
    return text.substring(pos);
  }

  /** An error at the current position. */
  public ParseException error(String expected) {
    return errorAt(pos, expected);
  }

  /** "expected X, got Y" at a position, quoting the character or fragment found there. */
  public ParseException errorAt(int at, String expected) {
    String got;
    if (at >= text.length()) {
      got = "end of line";
    } else {
      int end = Math.min(text.length(), at + 1);
      got = "\"" + printable(text.substring(at, end)) + "\"";
    }
    return new ParseException(line, at + 1, "expected " + expected + ", got " + got);
  }

  /** "expected X, got Y" quoting the whole token (up to the next blank) found at a position. */
  public ParseException tokenErrorAt(int at, String expected) {
    if (at >= text.length()) {
      return errorAt(at, expected);
    }
    int end = at;
    while (end < text.length()
        && end - at < 40
        && text.charAt(end) != ' '
        && text.charAt(end) != '\t') {
      end++;
    }
    String got = end == at ? text.substring(at, at + 1) : text.substring(at, end);
    return new ParseException(
        line, at + 1, "expected " + expected + ", got \"" + printable(got) + "\"");
  }

  /** A free-form error at a position. */
  public ParseException problemAt(int at, String message) {
    return new ParseException(line, at + 1, message);
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        case '\0' -> out.append("\\0");
        case '"' -> out.append("\\\"");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** Skips blanks and tabs (Prometheus text allows runs of either between tokens). */
  public void skipBlanks() {
    while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
      pos++;
    }
  }

  public void expect(char c, String what) throws ParseException {
    if (atEnd() || peek() != c) {
      throw error(what);
    }
    pos++;
  }

  public boolean consume(char c) {
    if (!atEnd() && peek() == c) {
      pos++;
      return true;
    }
    return false;
  }

  /** Moves to {@code at}, a position this scanner reported. */
  public void seek(int at) {
    pos = at;
  }

  /** Whether {@code word} is the token here (followed by a blank, a tab or the end). */
  public boolean word(String word) {
    int end = pos + word.length();
    return text.startsWith(word, pos)
        && (end == text.length() || text.charAt(end) == ' ' || text.charAt(end) == '\t');
  }

  /** The whole line. */
  public String text() {
    return text;
  }

  /**
   * Where the series text starting here ends, without reading it: after the metric name, or after
   * the {@code '}'} closing the labels when a {@code '{'} follows the name (after blanks); {@code
   * -1} when there is no name or no closing brace outside a quoted value. Nothing is checked: the
   * text may still be invalid, so it is a key only for texts that parsed before.
   */
  public int seriesEnd() {
    int i = pos;
    if (i >= text.length() || !isNameStart(text.charAt(i), true)) {
      return -1;
    }
    while (i < text.length() && isNamePart(text.charAt(i), true)) {
      i++;
    }
    int nameEnd = i;
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    if (i >= text.length() || text.charAt(i) != '{') {
      return nameEnd;
    }
    boolean quoted = false;
    for (i++; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '}') {
        return i + 1;
      }
    }
    return -1;
  }

  /** Skips a metric name known to be valid (from a series text that parsed before). */
  public void skipMetricName() {
    while (!atEnd() && isNamePart(peek(), true)) {
      pos++;
    }
  }

  /** A metric name: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}. */
  public String metricName() throws ParseException {
    return name(true, "metric name");
  }

  /** A label name: {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  public String labelName() throws ParseException {
    return name(false, "label name");
  }

  private String name(boolean colon, String what) throws ParseException {
    int start = pos;
    if (atEnd() || !isNameStart(peek(), colon)) {
      throw error(what);
    }
    pos++;
    while (!atEnd() && isNamePart(peek(), colon)) {
      pos++;
    }
    return text.substring(start, pos);
  }

  /**
   * A quoted label value with the text format's escapes {@code \\}, {@code \"}, {@code \n}; any
   * other escaped character is kept with its backslash.
   */
  public String quotedValue() throws ParseException {
    expect('"', "'\"' to start the label value");
    StringBuilder value = new StringBuilder();
    while (true) {
      if (atEnd()) {
        throw error("'\"' to end the label value");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return value.toString();
      }
      if (c == '\\') {
        if (atEnd()) {
          throw error("escaped character after '\\'");
        }
        char e = text.charAt(pos++);
        switch (e) {
          case '\\' -> value.append('\\');
          case '"' -> value.append('"');
          case 'n' -> value.append('\n');
          default -> value.append('\\').append(e);
        }
      } else {
        value.append(c);
      }
    }
  }

  /**
   * Labels after '{' up to and including '}'.
   *
   * @param lenient allow blanks between tokens and a trailing comma (Prometheus text); OpenMetrics
   *     allows neither
   */
  public Map<String, String> labels(boolean lenient) throws ParseException {
    Map<String, String> labels = new LinkedHashMap<>();
    if (lenient) {
      skipBlanks();
    }
    if (consume('}')) {
      return labels;
    }
    while (true) {
      if (lenient) {
        skipBlanks();
        if (!labels.isEmpty() && consume('}')) {
          return labels;
        }
      }
      int nameAt = pos;
      String name = labelName();
      if (lenient) {
        skipBlanks();
      }
      expect('=', "'=' after label name");
      if (lenient) {
        skipBlanks();
      }
      if (atEnd() || peek() != '"') {
        throw error("'\"' to start the value of label " + name);
      }
      String value = quotedValue();
      if (labels.putIfAbsent(name, value) != null) {
        throw problemAt(nameAt, "duplicate label name \"" + name + "\"");
      }
      if (lenient) {
        skipBlanks();
      }
      if (consume('}')) {
        return labels;
      }
      expect(',', "',' or '}' after label value");
    }
  }

  /** The characters up to the next blank (or tab, if {@code tabToo}) or the end. */
  public String token(boolean tabToo) {
    int start = pos;
    while (!atEnd() && peek() != ' ' && !(tabToo && peek() == '\t')) {
      pos++;
    }
    return text.substring(start, pos);
  }

  private static boolean isNameStart(char c, boolean colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  }

  private static boolean isNamePart(char c, boolean colon) {
    return isNameStart(c, colon) || (c >= '0' && c <= '9');
  }

  /** True if the whole string is a valid metric name: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}. */
  public static boolean isMetricName(String s) {
    return isName(s, true);
  }

  /** True if the whole string is a valid label name: {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  public static boolean isLabelName(String s) {
    return isName(s, false);
  }

  private static boolean isName(String s, boolean colon) {
    if (s.isEmpty() || !isNameStart(s.charAt(0), colon)) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      if (!isNamePart(s.charAt(i), colon)) {
        return false;
      }
    }
    return true;
  }
}

package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the parts of one line left to right and reports errors with the line, the column and what
 * was expected: {@code line 3, column 5: expected label value, got "'"}.
 *
 * <p>The line is a window {@code [start, end)} of a text, so a parser can scan a whole body line by
 * line without copying each line out ({@link #reset}); positions ({@link #pos}, {@link #seek},
 * {@link #seriesEnd}) are indices in that text, and columns in errors count from the window's
 * start.
 */
public final class LineScanner {

  private final String text;
  private int start;
  private int end;
  private int line;
  private int pos;

  /** A scanner over the whole of {@code text}, which is line {@code line}. */
  public LineScanner(String text, int line) {
    this(text, 0, text.length(), line);
  }

  /** A scanner over {@code text[start, end)}, which is line {@code line}. */
  public LineScanner(String text, int start, int end, int line) {
    this.text = text;
    reset(start, end, line);
  }

  /**
   * Moves this scanner to another line of the same text: {@code [start, end)}, line {@code line}.
   */
  public void reset(int start, int end, int line) {
    this.start = start;
    this.end = end;
    this.line = line;
    this.pos = start;
  }

  public int line() {
    return line;
  }

  public int pos() {
    return pos;
  }

  public boolean atEnd() {
    return pos >= end;
  }

  public char peek() {
    return text.charAt(pos);
  }

  public String rest() {
    return text.substring(pos, end);
  }

  /** An error at the current position. */
  public ParseException error(String expected) {
    return errorAt(pos, expected);
  }

  /** "expected X, got Y" at a position, quoting the character or fragment found there. */
  public ParseException errorAt(int at, String expected) {
    String got;
    if (at >= end) {
      got = "end of line";
    } else {
      got = "\"" + printable(text.substring(at, at + 1)) + "\"";
    }
    return new ParseException(line, at - start + 1, "expected " + expected + ", got " + got);
  }

  /** "expected X, got Y" quoting the whole token (up to the next blank) found at a position. */
  public ParseException tokenErrorAt(int at, String expected) {
    if (at >= end) {
      return errorAt(at, expected);
    }
    int to = at;
    while (to < end && to - at < 40 && text.charAt(to) != ' ' && text.charAt(to) != '\t') {
      to++;
    }
    String got = to == at ? text.substring(at, at + 1) : text.substring(at, to);
    return new ParseException(
        line, at - start + 1, "expected " + expected + ", got \"" + printable(got) + "\"");
  }

  /** A free-form error at a position. */
  public ParseException problemAt(int at, String message) {
    return new ParseException(line, at - start + 1, message);
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
    while (pos < end && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
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
    int after = pos + word.length();
    return after <= end
        && text.startsWith(word, pos)
        && (after == end || text.charAt(after) == ' ' || text.charAt(after) == '\t');
  }

  /** The text the line is a window of (the whole body, for a parser scanning one). */
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
    if (i >= end || !isNameStart(text.charAt(i), true)) {
      return -1;
    }
    while (i < end && isNamePart(text.charAt(i), true)) {
      i++;
    }
    int nameEnd = i;
    while (i < end && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    if (i >= end || text.charAt(i) != '{') {
      return nameEnd;
    }
    boolean quoted = false;
    for (i++; i < end; i++) {
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

  /**
   * As {@link #metricName()}, with a guess: {@code known} (a valid metric name, or null) itself if
   * the name here is that very name, so no new string is made; else the name read.
   */
  public String metricName(String known) throws ParseException {
    if (known != null) {
      int after = pos + known.length();
      if (after <= end
          && text.startsWith(known, pos)
          && (after == end || !isNamePart(text.charAt(after), true))) {
        pos = after;
        return known;
      }
    }
    return metricName();
  }

  /**
   * The one of {@code words} written here up to the next blank, tab or the end, moving past it;
   * null (not moving) if none is.
   */
  public String oneOf(List<String> words) {
    for (String word : words) {
      int after = pos + word.length();
      if (after <= end
          && text.startsWith(word, pos)
          && (after == end || text.charAt(after) == ' ' || text.charAt(after) == '\t')) {
        pos = after;
        return word;
      }
    }
    return null;
  }

  /** A label name: {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  public String labelName() throws ParseException {
    return name(false, "label name");
  }

  private String name(boolean colon, String what) throws ParseException {
    int from = pos;
    if (atEnd() || !isNameStart(peek(), colon)) {
      throw error(what);
    }
    pos++;
    while (!atEnd() && isNamePart(peek(), colon)) {
      pos++;
    }
    return text.substring(from, pos);
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
    int from = pos;
    while (!atEnd() && peek() != ' ' && !(tabToo && peek() == '\t')) {
      pos++;
    }
    return text.substring(from, pos);
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

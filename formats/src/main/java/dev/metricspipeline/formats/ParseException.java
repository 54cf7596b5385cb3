package dev.metricspipeline.formats;

/**
 * Input a parser refused, with where and why: {@code line 3, column 5: expected label value, got
 * "'"}. Line and column are 1-based; column counts characters (code units) of the line; either is 0
 * when the error is about the whole body.
 */
public class ParseException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;
  private final String reason;

  public ParseException(int line, int column, String reason) {
    super(position(line, column) + reason);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }

  private static String position(int line, int column) {
    if (line <= 0) {
      return "";
    }
    return column <= 0 ? "line " + line + ": " : "line " + line + ", column " + column + ": ";
  }

  /** 1-based line, or 0 for the whole body. */
  public int line() {
    return line;
  }

  /** 1-based column, or 0. */
  public int column() {
    return column;
  }

  /** The message without the position. */
  public String reason() {
    return reason;
  }
}

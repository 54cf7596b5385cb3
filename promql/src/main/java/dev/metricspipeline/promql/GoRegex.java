package dev.metricspipeline.promql;

import java.util.regex.Matcher;

/**
 * Go's regular-expression replacement, as Prometheus applies it in {@code label_replace} and in
 * relabeling ({@code replace} actions): the one implementation both use.
 */
public final class GoRegex {
  private GoRegex() {}

  /**
   * Go's {@code Regexp.Expand}: {@code $1}, {@code ${1}}, {@code $name} (the longest run of
   * letters, digits and {@code _}, so {@code $1x} is the group named {@code 1x}), {@code ${name}}
   * and {@code $$}; a group that does not exist or did not match expands to nothing.
   */
  public static String expand(Matcher m, String template) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char ch = template.charAt(i);
      if (ch != '$' || i + 1 >= template.length()) {
        out.append(ch);
        i++;
        continue;
      }
      char next = template.charAt(i + 1);
      if (next == '$') {
        out.append('$');
        i += 2;
        continue;
      }
      String name;
      int end;
      if (next == '{') {
        int close = template.indexOf('}', i + 2);
        if (close < 0) {
          out.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 2, close);
        end = close + 1;
      } else {
        int j = i + 1;
        while (j < template.length()
            && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) {
          j++;
        }
        if (j == i + 1) {
          out.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 1, j);
        end = j;
      }
      out.append(group(m, name));
      i = end;
    }
    return out.toString();
  }

  private static String group(Matcher m, String name) {
    try {
      String g;
      if (name.chars().allMatch(Character::isDigit)) {
        int n = Integer.parseInt(name);
        g = n <= m.groupCount() ? m.group(n) : null;
      } else {
        g = m.group(name);
      }
      return g == null ? "" : g;
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return "";
    }
  }
}

package dev.metricspipeline.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.promql.Expr.Aggregate;
import dev.metricspipeline.promql.Expr.Binary;
import dev.metricspipeline.promql.Expr.Cardinality;
import dev.metricspipeline.promql.Expr.MatrixSelector;
import dev.metricspipeline.promql.Expr.ValueType;
import dev.metricspipeline.promql.Expr.VectorSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The grammar, precedence and type rules on expressions of the shapes public dashboards use
 * (kubernetes-mixin, node-exporter-full): each parses, prints in Prometheus's canonical form, and
 * parses back to an equal tree.
 */
class ParserTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "up                                                   | up",
        "up{job=\"node\"}                                     | up{job=\"node\"}",
        "{__name__=~\"node_.*\", job!=\"\"}                   | {__name__=~\"node_.*\", job!=\"\"}",
        "rate(http_requests_total[5m])                        | rate(http_requests_total[5m])",
        "sum(rate(metrics_pipeline_push_samples_total[5m]))   | sum(rate(metrics_pipeline_push_samples_total[5m]))",
        "sum by(job) (rate(x[5m]))                            | sum by (job) (rate(x[5m]))",
        "sum(rate(x[5m])) by (job, instance)                  | sum by (job, instance) (rate(x[5m]))",
        "sum without (cpu) (irate(node_cpu_seconds_total{mode!=\"idle\"}[1m]))| sum without (cpu) (irate(node_cpu_seconds_total{mode!=\"idle\"}[1m]))",
        "topk(10, sum by (name) (rate(x[1h])))                | topk(10, sum by (name) (rate(x[1h])))",
        "quantile(0.9, x)                                     | quantile(0.9, x)",
        "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))| histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
        "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))| 1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
        "100 * (1 - x / y)                                    | 100 * (1 - x / y)",
        "a + b * c                                            | a + b * c",
        "-2 ^ 2                                               | -2 ^ 2",
        "2 ^ 3 ^ 2                                            | 2 ^ 3 ^ 2",
        "x > bool 0                                           | x > bool 0",
        "1 == bool 1                                          | 1 == bool 1",
        "a and on(job) b                                      | a and on (job) b",
        "a / on (pod) group_left (node) b                     | a / on (pod) group_left (node) b",
        "a * ignoring(code) group_right b                     | a * ignoring (code) group_right b",
        "a or b unless c                                      | a or b unless c",
        "x offset 5m                                          | x offset 5m",
        "rate(x[90m] offset 1h)                               | rate(x[1h30m] offset 1h)",
        "increase(x[1d])                                      | increase(x[1d])",
        "max_over_time(x[10m])                                | max_over_time(x[10m])",
        "label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")| label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
        "clamp_min(x, 0)                                      | clamp_min(x, 0)",
        "round(x, 0.1)                                        | round(x, 0.1)",
        "scalar(sum(x)) * 2                                   | scalar(sum(x)) * 2",
        "vector(1)                                            | vector(1)",
        "time() - x                                           | time() - x",
        "count(up == 1)                                       | count(up == 1)",
        "group by (job) (up)                                  | group by (job) (up)",
        "bottomk(3, x)                                        | bottomk(3, x)",
        "0x1f + 1e3 + Inf                                     | 31 + 1000 + Inf",
        "x # a comment                                        | x",
      })
  void parsesAndPrintsCanonically(String query, String canonical) {
    Expr expr = Parser.parse(query);
    assertThat(expr.toString()).isEqualTo(canonical);
    assertThat(Parser.parse(expr.toString())).isEqualTo(expr);
  }

  @Test
  void precedenceAndAssociativity() {
    Binary sum = (Binary) Parser.parse("a + b * c");
    assertThat(sum.op()).isEqualTo("+");
    assertThat(((Binary) sum.rhs()).op()).isEqualTo("*");
    Binary minus = (Binary) Parser.parse("a - b - c");
    assertThat(((Binary) minus.lhs()).op()).isEqualTo("-");
    Binary power = (Binary) Parser.parse("2 ^ 3 ^ 2");
    assertThat(power.rhs()).isInstanceOf(Binary.class);
    Expr.Unary negative = (Expr.Unary) Parser.parse("-2 ^ 2");
    assertThat(negative.expr()).isInstanceOf(Binary.class);
    Binary or = (Binary) Parser.parse("a or b and c");
    assertThat(or.op()).isEqualTo("or");
    assertThat(or.matching().card()).isEqualTo(Cardinality.MANY_TO_MANY);
  }

  @Test
  void typesSelectorsAndMatching() {
    Aggregate agg = (Aggregate) Parser.parse("sum without (instance) (rate(x{a=~\"b|c\"}[5m]))");
    assertThat(agg.without()).isTrue();
    assertThat(agg.grouping()).containsExactly("instance");
    Expr.Call rate = (Expr.Call) agg.expr();
    MatrixSelector range = (MatrixSelector) rate.args().get(0);
    assertThat(range.rangeMs()).isEqualTo(300_000);
    VectorSelector selector = range.selector();
    assertThat(selector.name()).isEqualTo("x");
    assertThat(selector.matchers().get(1).matches("c")).isTrue();
    assertThat(selector.matchers().get(1).matches("bc")).as("anchored").isFalse();
    Binary join = (Binary) Parser.parse("a * on (pod) group_left (node) b");
    assertThat(join.matching().card()).isEqualTo(Cardinality.MANY_TO_ONE);
    assertThat(join.matching().include()).containsExactly("node");
    assertThat(Parser.parse("scalar(x)").type()).isEqualTo(ValueType.SCALAR);
    assertThat(Parser.parse("1 + 2").type()).isEqualTo(ValueType.SCALAR);
    assertThat(Parser.parse("x[5m]").type()).isEqualTo(ValueType.MATRIX);
    assertThat(((Binary) Parser.parse("1 + x")).matching()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "rate(x)                       | parse error at char 1: expected type range vector in call to function \"rate\", got instant vector",
        "sum(x[5m])                    | parse error at char 1: expected type instant vector in aggregation expression, got range vector",
        "x[5m:1m]                      | parse error at char 2: subqueries are not supported",
        "rate(x[5m])[10m:1m]           | parse error at char 12: subqueries are not supported",
        "x @ 1700000000                | parse error at char 3: the @ modifier is not supported",
        "deriv(x[5m])                  | parse error at char 1: function \"deriv\" is not supported by this engine",
        "stddev(x)                     | parse error at char 1: aggregation \"stddev\" is not supported by this engine",
        "foo_bar(x)                    | parse error at char 1: unknown function with name \"foo_bar\"",
        "1 > 2                         | parse error at char 3: comparisons between scalars must use BOOL modifier",
        "x + bool y                    | parse error at char 3: bool modifier can only be used on comparison operators",
        "1 and x                       | parse error at char 3: set operator \"and\" not allowed in binary scalar expression",
        "a and on (x) group_left b     | parse error at char 14: no grouping allowed for \"and\" operation",
        "{job=\"\"}                    | parse error at char 1: vector selector must contain at least one non-empty matcher",
        "x{a=\"b\"                     | parse error at char 8: unexpected end of input in label matching, expected \",\" or \"}\"",
        "sum(x                         | parse error at char 6: unexpected end of input, expected \")\"",
        "x[5q]                         | parse error at char 3: bad duration \"5q\"",
        "x offset                      | parse error at char 9: unexpected end of input, expected a duration",
        "x y                           | parse error at char 3: unexpected \"y\"",
        "x{a=~\"(\"}                   | parse error at char 6: invalid regular expression \"(\": Unclosed group",
        "round(x, 1, 2)                | parse error at char 1: expected 1 to 2 argument(s) in call to \"round\", got 3",
        "a atan2 b                     | parse error at char 3: the atan2 operator is not supported",
      })
  void refusesWithAMessageNamingWhatAndWhere(String query, String message) {
    assertThatThrownBy(() -> Parser.parse(query))
        .isInstanceOf(PromQLException.class)
        .hasMessage(message);
  }

  @Test
  void anEmptyQueryIsRefused() {
    assertThatThrownBy(() -> Parser.parse("  # nothing"))
        .isInstanceOf(PromQLException.class)
        .hasMessage("no expression found in input");
  }

  @Test
  void durations() {
    assertThat(Durations.parse("1h30m")).isEqualTo(5_400_000);
    assertThat(Durations.format(5_400_000)).isEqualTo("1h30m");
    assertThat(Durations.format(1_500)).isEqualTo("1s500ms");
    assertThat(Durations.parse("1y")).isEqualTo(365L * 24 * 3_600_000);
    assertThatThrownBy(() -> Durations.parse("5m1h")).isInstanceOf(IllegalArgumentException.class);
  }
}

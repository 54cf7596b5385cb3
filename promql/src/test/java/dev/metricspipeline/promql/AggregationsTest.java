package dev.metricspipeline.promql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.promql.Evaluator.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AggregationsTest {

  /**
   * Folding one value at a time gives the same bits as aggregating the member list, NaN, infinities
   * and large magnitudes included (the order of the additions is the same).
   */
  @Test
  void theAccumulatorEqualsTheMemberAggregationBitForBit() {
    Random random = new Random(42);
    double[] specials = {
      Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1e308, -1e308
    };
    for (int round = 0; round < 2_000; round++) {
      int n = 1 + random.nextInt(20);
      List<Sample> members = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        double v =
            random.nextInt(6) == 0
                ? specials[random.nextInt(specials.length)]
                : random.nextGaussian() * Math.pow(10, random.nextInt(12));
        members.add(new Sample(Labels.EMPTY, v));
      }
      for (String op : List.of("sum", "avg", "min", "max", "count", "group")) {
        Aggregations.Fold fold = Aggregations.Fold.of(op);
        long count = 0;
        double acc = Double.NaN;
        for (Sample s : members) {
          acc = fold.add(++count, acc, s.value());
        }
        assertThat(Double.doubleToLongBits(fold.result(count, acc)))
            .as("%s over %s", op, members)
            .isEqualTo(Double.doubleToLongBits(Aggregations.apply(op, Double.NaN, members)));
      }
    }
  }

  @Test
  void onlyTheFoldableOperatorsAreAccumulated() {
    assertThat(Aggregations.Fold.of("sum")).isEqualTo(Aggregations.Fold.SUM);
    assertThat(Aggregations.Fold.of("quantile")).isNull();
    assertThat(Aggregations.Fold.of("topk")).isNull();
  }
}

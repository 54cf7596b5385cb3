package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Evaluator.Sample;
import dev.metricspipeline.promql.Expr.Cardinality;
import dev.metricspipeline.promql.Expr.VectorMatching;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binary operators between scalars and vectors, with Prometheus's matching and label rules. */
final class BinaryOps {
  private BinaryOps() {}

  static double arithmetic(String op, double l, double r) {
    return switch (op) {
      case "+" -> l + r;
      case "-" -> l - r;
      case "*" -> l * r;
      case "/" -> l / r;
      case "%" -> l % r;
      case "^" -> Math.pow(l, r);
      default -> throw new IllegalArgumentException("not arithmetic: " + op);
    };
  }

  static boolean compare(String op, double l, double r) {
    return switch (op) {
      case "==" -> l == r;
      case "!=" -> l != r;
      case ">" -> l > r;
      case "<" -> l < r;
      case ">=" -> l >= r;
      case "<=" -> l <= r;
      default -> throw new IllegalArgumentException("not a comparison: " + op);
    };
  }

  /**
   * A vector and a scalar: arithmetic drops the metric name; a comparison keeps the elements for
   * which it holds, with the vector's value and name, or with {@code bool} gives 0/1 without the
   * name.
   *
   * @param scalarLeft whether the scalar is the left operand
   */
  static List<Sample> vectorScalar(
      String op, List<Sample> vector, double scalar, boolean scalarLeft, boolean returnBool) {
    boolean comparison = Operators.isComparison(op);
    List<Sample> out = new ArrayList<>(vector.size());
    for (Sample s : vector) {
      double l = scalarLeft ? scalar : s.value();
      double r = scalarLeft ? s.value() : scalar;
      if (!comparison) {
        out.add(new Sample(s.labels().withoutName(), arithmetic(op, l, r)));
      } else if (returnBool) {
        out.add(new Sample(s.labels().withoutName(), compare(op, l, r) ? 1 : 0));
      } else if (compare(op, l, r)) {
        out.add(s);
      }
    }
    return out;
  }

  /** {@code and}, {@code or}, {@code unless}, matched on the signature (never the name). */
  static List<Sample> set(String op, List<Sample> lhs, List<Sample> rhs, VectorMatching matching) {
    Set<Labels> right = new HashSet<>();
    for (Sample s : rhs) {
      right.add(Evaluator.signature(s.labels(), matching));
    }
    List<Sample> out = new ArrayList<>();
    switch (op) {
      case "and" -> {
        for (Sample s : lhs) {
          if (right.contains(Evaluator.signature(s.labels(), matching))) {
            out.add(s);
          }
        }
      }
      case "unless" -> {
        for (Sample s : lhs) {
          if (!right.contains(Evaluator.signature(s.labels(), matching))) {
            out.add(s);
          }
        }
      }
      default -> {
        Set<Labels> left = new HashSet<>();
        for (Sample s : lhs) {
          left.add(Evaluator.signature(s.labels(), matching));
          out.add(s);
        }
        for (Sample s : rhs) {
          if (!left.contains(Evaluator.signature(s.labels(), matching))) {
            out.add(s);
          }
        }
      }
    }
    return out;
  }

  /**
   * Two vectors, element by element on matching signatures: one-to-one by default, many-to-one with
   * {@code group_left}, one-to-many with {@code group_right}; Prometheus's errors when a side that
   * must be unique is not.
   */
  static List<Sample> vectorVector(
      String op, List<Sample> lhs, List<Sample> rhs, VectorMatching matching, boolean returnBool) {
    boolean swap = matching.card() == Cardinality.ONE_TO_MANY;
    List<Sample> many = swap ? rhs : lhs;
    List<Sample> one = swap ? lhs : rhs;
    Map<Labels, Sample> bySignature = new HashMap<>();
    for (Sample s : one) {
      Labels sig = Evaluator.signature(s.labels(), matching);
      Sample before = bySignature.put(sig, s);
      if (before != null) {
        throw new EvaluationException(
            "found duplicate series for the match group "
                + sig
                + " on the "
                + (swap ? "left" : "right")
                + " hand-side of the operation: ["
                + before.labels()
                + ", "
                + s.labels()
                + "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    }
    boolean comparison = Operators.isComparison(op);
    boolean dropName = !comparison || returnBool;
    Set<Labels> matchedSignatures = new HashSet<>();
    Set<Labels> outputs = new HashSet<>();
    List<Sample> out = new ArrayList<>();
    for (Sample s : many) {
      Labels sig = Evaluator.signature(s.labels(), matching);
      Sample other = bySignature.get(sig);
      if (other == null) {
        continue;
      }
      double l = swap ? other.value() : s.value();
      double r = swap ? s.value() : other.value();
      double value;
      if (!comparison) {
        value = arithmetic(op, l, r);
      } else if (returnBool) {
        value = compare(op, l, r) ? 1 : 0;
      } else if (compare(op, l, r)) {
        value = l;
      } else {
        continue;
      }
      Labels labels = resultLabels(s.labels(), other.labels(), matching, dropName);
      if (matching.card() == Cardinality.ONE_TO_ONE) {
        if (!matchedSignatures.add(sig)) {
          throw new EvaluationException(
              "multiple matches for labels: many-to-one matching must be explicit"
                  + " (group_left/group_right)");
        }
      } else if (!outputs.add(labels)) {
        throw new EvaluationException(
            "multiple matches for labels: grouping labels must ensure unique matches");
      }
      out.add(new Sample(labels, value));
    }
    return out;
  }

  private static Labels resultLabels(
      Labels many, Labels one, VectorMatching matching, boolean dropName) {
    Labels out = dropName ? many.withoutName() : many;
    if (matching.card() == Cardinality.ONE_TO_ONE) {
      out = matching.on() ? out.keep(matching.labels()) : out.without(matching.labels());
    }
    for (String name : matching.include()) {
      out = out.with(name, one.get(name));
    }
    return out;
  }
}

package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.streams.AggregationRule;
import java.util.List;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends each closed per-series rollup that a rule selects to its group, once per matching rule: the
 * key becomes {@code <rule index>|<group series id>} (so one group lands on one partition of the
 * aggregation topic) and the labels become the group's.
 */
public final class AggregateRouteProcessor
    implements Processor<String, SpecificRecord, String, Rollup> {

  private final List<AggregationRule> rules;
  private final SeriesKey seriesKey;
  private org.apache.kafka.streams.processor.api.ProcessorContext<String, Rollup> context;

  public AggregateRouteProcessor(List<AggregationRule> rules, SeriesKey seriesKey) {
    this.rules = List.copyOf(rules);
    this.seriesKey = seriesKey;
  }

  @Override
  public void init(
      org.apache.kafka.streams.processor.api.ProcessorContext<String, Rollup> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    Rollup rollup = (Rollup) record.value();
    for (int i = 0; i < rules.size(); i++) {
      AggregationRule rule = rules.get(i);
      if (!rule.matches(rollup.getName(), rollup.getLabels())) {
        continue;
      }
      TreeMap<String, String> group = rule.groupLabels(rollup.getLabels());
      Rollup routed = Rollup.newBuilder(rollup).setLabels(group).build();
      context.forward(
          record
              .withKey(AggregateProcessor.groupKey(i, seriesKey.idOf(rollup.getName(), group)))
              .withValue(routed));
    }
  }
}

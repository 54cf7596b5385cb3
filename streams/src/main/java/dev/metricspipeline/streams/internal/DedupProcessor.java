package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.streams.DropCounters;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops exact duplicates: a sample whose series (the record key) and sample timestamp were already
 * seen within the store's retention. The first one wins; later ones are counted ({@code duplicate})
 * and logged. Retried pushes of samples with explicit timestamps, re-sent remote_write batches and
 * replayed producers are caught here; values are not compared (same series and time means the same
 * sample).
 */
public final class DedupProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);

  private final String storeName;
  private final DropCounters drops;
  private ProcessorContext<String, SpecificRecord> context;
  private WindowStore<String, Long> seen;

  public DedupProcessor(String storeName, DropCounters drops) {
    this.storeName = storeName;
    this.drops = drops;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.seen = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    MetricSample sample = (MetricSample) record.value();
    long ts = sample.getTimestamp();
    if (seen.fetch(record.key(), ts) != null) {
      drops.increment("duplicate");
      LOG.debug(
          "Dropped duplicate {}@{} from {}",
          record.key(),
          ts,
          Coordinates.of(context.recordMetadata().orElse(null)));
      return;
    }
    seen.put(record.key(), 1L, ts);
    context.forward(record);
  }
}

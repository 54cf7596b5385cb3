package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.streams.DropCounters;
import java.time.Duration;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops duplicates before anything is rolled up. Three rules, checked in this order; each drop is
 * counted by reason and logged with its coordinates. Input order within a partition is the log
 * order, so every rule gives the same result when the stream is replayed.
 *
 * <ol>
 *   <li><b>{@code duplicate}</b>: the same series (the record key) with the same sample timestamp
 *       was seen within {@code dedupRetention}. The first wins; values are not compared. Catches
 *       retried pushes with explicit timestamps, re-sent remote_write batches, replayed producers.
 *   <li><b>{@code retried_push}</b>: a sample of the same series with the same push id (the
 *       gateway's {@code Idempotency-Key} or digest of grouping key and body) was seen in the same
 *       or the previous {@code dedupInterval} bucket (so within one to two intervals). A push
 *       retried after a lost answer gets new receive timestamps, so rule 1 misses it; this catches
 *       it. Only samples stamped with their receive time (timestamp equal to ingest timestamp) are
 *       checked: samples that carry their own timestamps are retried exactly, which rule 1 catches,
 *       and several of them of one series in one push are distinct samples.
 *   <li><b>{@code replica}</b>: the sample carries a replica label (or {@code scraperReplica}) and
 *       a sample of the same series already survived in the same {@code dedupInterval} bucket
 *       (aligned to the epoch). The first in log order wins, whichever replica sent it; samples
 *       without a replica label are never dropped by this rule, so a single fast scraper keeps its
 *       resolution. (VictoriaMetrics keeps the largest timestamp per interval instead; that needs
 *       holding samples back an interval, which this stage does not do.)
 * </ol>
 */
public final class DedupProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);

  private final String storeName;
  private final String intervalStoreName;
  private final Duration interval;
  private final Set<String> replicaLabels;
  private final DropCounters drops;
  private ProcessorContext<String, SpecificRecord> context;
  private WindowStore<String, Long> seen;
  private WindowStore<String, Long> recent;

  public DedupProcessor(
      String storeName,
      String intervalStoreName,
      Duration interval,
      Set<String> replicaLabels,
      DropCounters drops) {
    this.storeName = storeName;
    this.intervalStoreName = intervalStoreName;
    this.interval = interval;
    this.replicaLabels = Set.copyOf(replicaLabels);
    this.drops = drops;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.seen = context.getStateStore(storeName);
    this.recent = context.getStateStore(intervalStoreName);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    MetricSample sample = (MetricSample) record.value();
    String series = record.key();
    long ts = sample.getTimestamp();
    if (seen.fetch(series, ts) != null) {
      drop("duplicate", series, ts);
      return;
    }
    long size = interval.toMillis();
    long bucket = Math.floorDiv(ts, size) * size;
    if (sample.getPushId() != null && ts == sample.getIngestTimestamp()) {
      String pushKey = "push|" + series + "|" + sample.getPushId();
      if (recent.fetch(pushKey, bucket) != null || recent.fetch(pushKey, bucket - size) != null) {
        drop("retried_push", series, ts);
        return;
      }
      recent.put(pushKey, 1L, bucket);
    }
    if (isReplica(sample)) {
      String replicaKey = "replica|" + series;
      if (recent.fetch(replicaKey, bucket) != null) {
        drop("replica", series, ts);
        return;
      }
      recent.put(replicaKey, 1L, bucket);
    }
    seen.put(series, 1L, ts);
    context.forward(record);
  }

  private boolean isReplica(MetricSample sample) {
    if (sample.getScraperReplica() != null) {
      return true;
    }
    for (String label : replicaLabels) {
      if (sample.getLabels().containsKey(label)) {
        return true;
      }
    }
    return false;
  }

  private void drop(String reason, String series, long ts) {
    drops.increment(reason);
    LOG.debug(
        "Dropped {} {}@{} from {}",
        reason,
        series,
        ts,
        Coordinates.of(context.recordMetadata().orElse(null)));
  }
}

package dev.metricspipeline.sink;

import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.promql.Windows;
import dev.metricspipeline.schemas.avro.Rollup;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Where rollups are kept: one row per (series, resolution, window start), with the Kafka offsets
 * that produced them in the same store, so that writing a batch and recording how far it got are
 * one transaction. {@link JdbcRollupStore} implements it on SQLite and PostgreSQL.
 */
public interface RollupStore extends AutoCloseable {

  /** One consumed rollup and where it came from. */
  record Consumed(TopicPartition partition, long offset, Rollup rollup) {}

  /** What one {@link #write} did. */
  record WriteResult(int written, int skipped) {}

  /** Creates or migrates the schema. Safe to call on every start and from several instances. */
  void migrate() throws StoreException;

  /**
   * The next offset to read for each partition, as recorded by the last committed write; absent for
   * a partition never written.
   */
  Map<TopicPartition, Long> nextOffsets(Collection<TopicPartition> partitions)
      throws StoreException;

  /**
   * Upserts a batch and advances the stored offsets, in one transaction. A record whose offset is
   * below its partition's stored next offset was already written (by this instance before a crash,
   * or by another instance that has since taken the partition) and is skipped, so a stale instance
   * cannot overwrite newer work and a replay changes nothing.
   */
  WriteResult write(List<Consumed> batch) throws StoreException;

  /** The series selected by a metric name (null for any), with their labels. */
  List<StoredSeries> series(String metricName) throws StoreException;

  /**
   * The series selected by a metric name (null for any) that have a stored window overlapping
   * {@code [from, to]} (ms) at one of the given resolutions: a window {@code [start, start + r)}
   * overlaps when {@code from - r < start <= to}. This is what Prometheus's {@code /api/v1/series}
   * answers for a {@code start}/{@code end}.
   *
   * @param resolutions resolution name to window size in ms
   */
  List<StoredSeries> series(String metricName, Map<String, Long> resolutions, long from, long to)
      throws StoreException;

  /**
   * The type of every stored metric family (or of one, by its family name), from the latest type
   * written for each series; families of a store written before types were kept are absent until
   * their series are written again.
   */
  List<MetricMetadata> metadata(String family) throws StoreException;

  /** Receives the rows of {@link #scanRollups} one at a time, without an object per row. */
  @FunctionalInterface
  interface RollupVisitor {
    /**
     * One stored window (it ends at {@code windowStart} + the resolution). Fields not asked for are
     * NaN (0 for {@code count} and {@code resets}); NaN values were stored as such (SQLite keeps
     * them as NULL).
     *
     * @param counter whether the window has an {@code increase} and {@code resets} (its series was
     *     a counter), known when either was asked for; when false both are 0
     */
    void window(
        long seriesId,
        long windowStart,
        long count,
        double sum,
        double min,
        double max,
        double first,
        double last,
        boolean counter,
        double increase,
        long resets);
  }

  /**
   * Hands the rollups of some series at one resolution with window start in [from, to] to {@code
   * visitor}, each series' windows in start order, read as they come from the database and only the
   * {@code fields} asked for: the query path reads millions of windows per request.
   */
  void scanRollups(
      Collection<Long> seriesIds,
      String resolution,
      long from,
      long to,
      Set<Windows.Field> fields,
      RollupVisitor visitor)
      throws StoreException;

  /** The rollups of some series at one resolution with window start in [from, to], as objects. */
  default List<StoredRollup> rollups(
      Collection<Long> seriesIds, String resolution, long from, long to) throws StoreException {
    long size = PromDurations.parse(resolution);
    List<StoredRollup> out = new ArrayList<>();
    scanRollups(
        seriesIds,
        resolution,
        from,
        to,
        Windows.Field.ALL,
        (id, start, count, sum, min, max, first, last, counter, increase, resets) ->
            out.add(
                new StoredRollup(
                    id,
                    resolution,
                    start,
                    start + size,
                    count,
                    sum,
                    min,
                    max,
                    first,
                    last,
                    counter ? increase : null,
                    counter ? resets : null)));
    return out;
  }

  /** Deletes windows of a resolution that start before a time; returns how many. */
  int deleteBefore(String resolution, long windowStartBefore) throws StoreException;

  /** Whether the store answers right now (a cheap round trip). */
  boolean reachable();

  @Override
  void close();
}

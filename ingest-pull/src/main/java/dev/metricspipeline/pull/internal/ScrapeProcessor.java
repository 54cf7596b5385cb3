package dev.metricspipeline.pull.internal;

import dev.metricspipeline.formats.LimitExceededException;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.formats.ProtobufExpositionParser;
import dev.metricspipeline.formats.SeriesTextCache;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.Relabeler;
import dev.metricspipeline.pull.Target;
import dev.metricspipeline.schemas.MetricSamples;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a scrape's body becomes, with no I/O of its own (testable without a socket): parsed by
 * content type; {@code metric_relabel_configs}; target labels attached ({@code honor_labels: false}
 * renames a clash to {@code exported_<name>}); limits checked ({@code sample_limit} after metric
 * relabeling, {@code label_limit}, name and value lengths); honored timestamps bounded; and the
 * report series. One per target: it keeps the target's scrape cache (see {@link #process}).
 */
final class ScrapeProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(ScrapeProcessor.class);

  private final Target target;
  private final Map<String, String> externalLabels;
  private final String replica;
  private final SeriesKey seriesKey;
  private final SampleTimestamps timestamps;
  private final ScrapeMetrics metrics;
  // Every sample's source: one object, so the published samples share their series' encoding.
  private final String source;
  // The scrape cache: what successful scrapes made of each series as scraped (the series of the
  // last scrape that had a new one). Replaced whole, never changed in place, so overlapping scrapes
  // are safe.
  private volatile Map<SeriesRef, Resolved> resolved = Map.of();
  // The same cache by position: the parser's text cache hands back the very same name and label
  // objects for an unchanged line, so in a scrape that lists its series as the last one did (the
  // usual case) each finds its entry at its own position by two identity checks, with no key
  // built or hashed. The map is only rebuilt when a scrape has a series it lacks. Each of the two
  // is a correct cache on its own (an entry depends only on its series and the target's config),
  // so a scrape that reads one of them new and the other old is still right.
  private volatile Positions positions = Positions.NONE;
  // The parser's cache: each series text of the last body → its name and labels. With it a series
  // seen in the last scrape is neither parsed nor hashed again, and its labels are the same object
  // as last time, so the SeriesRef lookup below is a cached hash and an identity check.
  private final SeriesTextCache texts = new SeriesTextCache();

  /**
   * @param externalLabels added to every series that does not have them
   * @param replica this scraper's replica label value, or null
   */
  ScrapeProcessor(
      Target target,
      Map<String, String> externalLabels,
      String replica,
      SeriesKey seriesKey,
      SampleTimestamps timestamps,
      ScrapeMetrics metrics) {
    this.target = target;
    this.externalLabels = Map.copyOf(externalLabels);
    this.replica = replica;
    this.seriesKey = seriesKey;
    this.timestamps = timestamps;
    this.metrics = metrics;
    this.source = "scrape " + target.job().jobName();
  }

  /**
   * A processed scrape: the samples to publish, their series (id and encoding, from the scrape
   * cache), the report series' counts.
   */
  record Scraped(
      List<MetricSample> samples, List<EncodedSeries> series, int scraped, double seconds) {}

  Scraped process(byte[] body, String contentType, long start, long started) throws ScrapeFailure {
    ParseResult parsed;
    try {
      parsed =
          ProtobufExpositionParser.handles(contentType)
              ? ProtobufExpositionParser.instance().parse(body, start)
              : TextFormatParser.forContentType(contentType).parse(body, start, texts);
    } catch (LimitExceededException e) {
      throw new ScrapeFailure("limit", e.getMessage());
    } catch (ParseException e) {
      throw new ScrapeFailure("parse", e.getMessage());
    }
    PullConfig.ScrapeJob job = target.job();
    List<MetricSample> out = new ArrayList<>(parsed.samples().size());
    List<EncodedSeries> series = new ArrayList<>(parsed.samples().size());
    Map<SeriesRef, Resolved> known = resolved;
    Positions last = positions;
    List<ParsedSample> samples = parsed.samples();
    Resolved[] found = new Resolved[samples.size()];
    Map<SeriesRef, Resolved> fresh = null; // the series this scrape resolved
    int outOfBounds = 0;
    String firstOutOfBounds = null;
    for (int i = 0; i < samples.size(); i++) {
      ParsedSample p = samples.get(i);
      Resolved r = last.at(i, p);
      if (r == null) {
        SeriesRef ref = new SeriesRef(p.name(), p.labels());
        r = known.get(ref);
        if (r == null) {
          fresh = fresh == null ? new HashMap<>() : fresh;
          r = fresh.get(ref);
          if (r == null) {
            r = resolve(p.name(), p.labels());
            fresh.put(ref, r);
          }
        }
      }
      found[i] = r;
      if (r == Resolved.DROPPED) {
        continue;
      }
      long time = start;
      if (job.honorTimestamps()) {
        Optional<String> badTime =
            timestamps.violation(seriesKey, r.name(), r.labels(), p.timestamp(), start);
        if (badTime.isPresent()) {
          outOfBounds++;
          firstOutOfBounds = firstOutOfBounds == null ? badTime.get() : firstOutOfBounds;
          continue;
        }
        time = p.timestamp();
      }
      out.add(sample(r.name(), r.labels(), p.type(), p.value(), time, start));
      series.add(r.series());
    }
    if (outOfBounds > 0) {
      metrics.outOfBounds(outOfBounds);
      LOG.warn(
          "Scrape of {} dropped {} samples with timestamps out of bounds, first: {}",
          target.url(),
          outOfBounds,
          firstOutOfBounds);
    }
    if (job.sampleLimit() > 0 && out.size() > job.sampleLimit()) {
      throw new ScrapeFailure(
          "limit", "sample limit exceeded: " + out.size() + " samples, limit " + job.sampleLimit());
    }
    // Only after every limit passed: a failed scrape leaves the cache as it was.
    if (fresh != null) {
      // A new series: the map becomes this scrape's series, so the ones that went are forgotten
      // (until then it holds them, at most one scrape's worth more).
      Map<SeriesRef, Resolved> next = new HashMap<>(samples.size() * 4 / 3 + 16);
      for (int i = 0; i < samples.size(); i++) {
        next.put(new SeriesRef(samples.get(i).name(), samples.get(i).labels()), found[i]);
      }
      resolved = next;
    }
    positions = new Positions(samples, found);
    return new Scraped(out, series, parsed.samples().size(), (System.nanoTime() - started) / 1e9);
  }

  /** A series as scraped: its name and labels before relabeling, the scrape cache's key. */
  private record SeriesRef(String name, Map<String, String> labels) {}

  /** The last processed scrape's samples as parsed, and what each one's series resolved to. */
  private record Positions(List<ParsedSample> samples, Resolved[] resolved) {
    static final Positions NONE = new Positions(List.of(), new Resolved[0]);

    /**
     * What the series at position {@code i} last time resolved to, if {@code p} has the very same
     * name and labels objects (the parser's text cache returns them for an unchanged line); else
     * null.
     */
    Resolved at(int i, ParsedSample p) {
      if (i >= resolved.length) {
        return null;
      }
      ParsedSample was = samples.get(i);
      return was.name() == p.name() && was.labels() == p.labels() ? resolved[i] : null;
    }
  }

  /**
   * What metric relabeling, the target labels and the label limits make of a series as scraped: its
   * name, labels, id and encoding, or {@link #DROPPED}. These depend only on the series and the
   * target's fixed config, so they are worked out once per series, not once per sample (Prometheus
   * keeps the same per-target cache). Every sample of the series is made of these very objects, so
   * the publisher copies the series' encoded strings instead of writing them ({@link
   * EncodedSeries}).
   */
  private record Resolved(String name, Map<String, String> labels, EncodedSeries series) {
    static final Resolved DROPPED = new Resolved(null, null, null);
  }

  private Resolved resolve(String scrapedName, Map<String, String> scrapedLabels)
      throws ScrapeFailure {
    PullConfig.ScrapeJob job = target.job();
    TreeMap<String, String> labels = new TreeMap<>(scrapedLabels);
    labels.put("__name__", scrapedName);
    if (!job.metricRelabelConfigs().isEmpty()) {
      labels = Relabeler.apply(labels, job.metricRelabelConfigs());
      if (labels == null) {
        return Resolved.DROPPED;
      }
    }
    String name = labels.remove("__name__");
    if (name == null || name.isEmpty()) {
      return Resolved.DROPPED;
    }
    attachTargetLabels(labels);
    checkLimits(name, labels);
    // Shared by the samples of every scrape that has this series: nothing may change it.
    Map<String, String> frozen = Collections.unmodifiableSortedMap(labels);
    MetricSample prototype = sample(name, frozen, SampleType.UNTYPED, 0, 0, 0);
    return new Resolved(name, frozen, EncodedSeries.of(prototype, seriesKey.idOf(name, labels)));
  }

  private void attachTargetLabels(TreeMap<String, String> labels) {
    boolean honor = target.job().honorLabels();
    for (Map.Entry<String, String> e : target.labels().entrySet()) {
      String k = e.getKey();
      if (honor) {
        labels.putIfAbsent(k, e.getValue());
      } else {
        String clash = labels.get(k);
        if (clash != null) {
          String exported = "exported_" + k;
          while (labels.containsKey(exported)) {
            exported = "exported_" + exported;
          }
          labels.put(exported, clash);
        }
        labels.put(k, e.getValue());
      }
    }
    externalLabels.forEach(labels::putIfAbsent);
    if (replica != null) {
      labels.put(SeriesKey.DEFAULT_REPLICA_LABEL, replica);
    }
  }

  private void checkLimits(String name, Map<String, String> labels) throws ScrapeFailure {
    PullConfig.ScrapeJob job = target.job();
    if (job.labelLimit() > 0 && labels.size() + 1 > job.labelLimit()) {
      throw new ScrapeFailure(
          "limit",
          "label_limit exceeded (metric: "
              + name
              + ", number of labels: "
              + (labels.size() + 1)
              + ", limit: "
              + job.labelLimit()
              + ")");
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (job.labelNameLengthLimit() > 0 && e.getKey().length() > job.labelNameLengthLimit()) {
        throw new ScrapeFailure(
            "limit",
            "label_name_length_limit exceeded (metric: "
                + name
                + ", label name: "
                + e.getKey()
                + ", length: "
                + e.getKey().length()
                + ", limit: "
                + job.labelNameLengthLimit()
                + ")");
      }
      if (job.labelValueLengthLimit() > 0 && e.getValue().length() > job.labelValueLengthLimit()) {
        throw new ScrapeFailure(
            "limit",
            "label_value_length_limit exceeded (metric: "
                + name
                + ", label name: "
                + e.getKey()
                + ", value length: "
                + e.getValue().length()
                + ", limit: "
                + job.labelValueLengthLimit()
                + ")");
      }
    }
  }

  /** The sample published: the series as relabeled, from this target, by this replica. */
  private MetricSample sample(
      String name, Map<String, String> labels, SampleType type, double value, long ts, long start) {
    return MetricSamples.of(
        name,
        labels,
        type,
        value,
        ts,
        start,
        Origin.PULL,
        null,
        null,
        target.url(),
        replica,
        source,
        null);
  }

  MetricSample report(String name, double value, long ts) {
    TreeMap<String, String> labels = new TreeMap<>();
    attachTargetLabels(labels);
    return sample(name, labels, SampleType.GAUGE, value, ts, ts);
  }

  static MetricSample stale(MetricSample prototype, long ts) {
    // Field by field: Avro's builder copy would deep-copy through its class allow-list.
    return MetricSamples.of(
        prototype.getName(),
        prototype.getLabels(),
        prototype.getType(),
        StaleMarker.VALUE,
        ts,
        ts,
        prototype.getOrigin(),
        prototype.getPushGroup(),
        prototype.getPushId(),
        prototype.getScrapeTarget(),
        prototype.getScraperReplica(),
        prototype.getSource(),
        null);
  }
}

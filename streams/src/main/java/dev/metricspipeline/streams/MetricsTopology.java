package dev.metricspipeline.streams;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.streams.internal.AggregateProcessor;
import dev.metricspipeline.streams.internal.AggregateRouteProcessor;
import dev.metricspipeline.streams.internal.DecodeProcessor;
import dev.metricspipeline.streams.internal.RollupStoreSerde;
import dev.metricspipeline.streams.internal.SeriesProcessor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The streams stage as one pure function of its settings: {@code metrics.samples} → decode (poison
 * records to {@code metrics.rejected}) → {@code series} (dedup and every resolution at once, from
 * one state entry per series; see {@link SeriesProcessor}) → {@code metrics.rollups.<resolution>},
 * first emissions and revisions; samples beyond the allowed lateness to {@code metrics.rejected}.
 * With {@link AggregationRule}s, each resolution's first emissions also go, keyed by group, through
 * {@code metrics.aggregation.<resolution>} to an aggregate processor whose outputs join the same
 * rollup topic (revisions do not reach group windows).
 *
 * <p>Every processor and store is named ({@code decode}, {@code series}, {@code series-state},
 * {@code series-meta}, {@code series-due}, {@code closed-windows}, {@code series-chunks}, ...), so
 * changelog topic names stay stable as the topology grows. The stores are not behind the Streams
 * record cache: it pays off only for a key written more than once between two commits (100 ms under
 * exactly-once), and a series takes a sample every few seconds, so the cache only added its own
 * bookkeeping to the one read, write and changelog record each sample costs anyway (the stage made
 * 10-50% more samples per stream-thread CPU second without it; bench/README.md, "The record cache,
 * off"). There is no repartition: records are keyed by series id upstream, so one series is always
 * on one partition and one task. Run it with {@code processing.guarantee=exactly_once_v2} (see
 * {@link StreamsApp}).
 */
public final class MetricsTopology {

  private MetricsTopology() {}

  /**
   * Builds the topology.
   *
   * @param samples reads a record's samples ({@code SampleBatch} or single {@code MetricSample},
   *     Confluent wire format; {@code SamplesDeserializer})
   * @param rollups writes {@code Rollup}s
   * @param rejected writes {@code Rejected}s
   * @param drops counts what is not rolled up, and the rollups emitted
   */
  public static Topology build(
      StreamsSettings settings,
      Deserializer<List<MetricSample>> samples,
      Serializer<Rollup> rollups,
      Serializer<Rejected> rejected,
      DropCounters drops) {
    return build(settings, samples, rollups, rejected, drops, InputBacklog.NONE);
  }

  /**
   * Builds the topology.
   *
   * @param samples reads a record's samples ({@code SampleBatch} or single {@code MetricSample},
   *     Confluent wire format; {@code SamplesDeserializer})
   * @param rollups writes {@code Rollup}s
   * @param rejected writes {@code Rejected}s
   * @param drops counts what is not rolled up, and the rollups emitted
   * @param backlog tells a quiet input partition from one whose records wait to be processed;
   *     windows close on the wall clock only for the first
   */
  public static Topology build(
      StreamsSettings settings,
      Deserializer<List<MetricSample>> samples,
      Serializer<Rollup> rollups,
      Serializer<Rejected> rejected,
      DropCounters drops,
      InputBacklog backlog) {
    Topology topology = new Topology();
    topology.addSource(
        "samples", new StringDeserializer(), new ByteArrayDeserializer(), settings.samplesTopic());
    topology.addProcessor(
        "decode",
        () -> new DecodeProcessor(samples, drops, settings.timestamps(), "series", "rejected"),
        "samples");
    boolean aggregate = !settings.aggregationRules().isEmpty();
    Map<String, String> sinks = new HashMap<>();
    Map<String, String> routes = new HashMap<>();
    for (StreamsSettings.Resolution resolution : settings.resolutions()) {
      sinks.put(resolution.name(), "rollups-" + resolution.name());
      if (aggregate) {
        routes.put(resolution.name(), "aggregate-" + resolution.name() + "-route");
      }
    }
    topology.addProcessor(
        "series",
        () -> new SeriesProcessor(settings, sinks, routes, "rejected", drops, backlog),
        "decode");
    for (String store : List.of(SeriesProcessor.STATE, SeriesProcessor.META, SeriesProcessor.DUE)) {
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray()),
          "series");
    }
    for (String store : List.of(SeriesProcessor.CLOSED, SeriesProcessor.CHUNKS)) {
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(store), Serdes.Bytes(), Serdes.ByteArray()),
          "series");
    }
    SeriesKey seriesKey = SeriesKey.excluding(settings.replicaLabels());
    for (StreamsSettings.Resolution resolution : settings.resolutions()) {
      String sink = sinks.get(resolution.name());
      if (aggregate) {
        String route = routes.get(resolution.name());
        addAggregation(topology, settings, resolution, "series", route, seriesKey, drops);
        topology.addSink(
            sink,
            resolution.topic(),
            new StringSerializer(),
            rollups,
            "series",
            "aggregate-" + resolution.name());
      } else {
        topology.addSink(sink, resolution.topic(), new StringSerializer(), rollups, "series");
      }
    }
    topology.addSink(
        "rejected", settings.rejectedTopic(), new StringSerializer(), rejected, "decode", "series");
    return topology;
  }

  /**
   * rollup-&lt;res&gt; → aggregate-&lt;res&gt;-route → metrics.aggregation.&lt;res&gt; (keyed by
   * group) → aggregate-&lt;res&gt; (store aggregate-&lt;res&gt;-windows) → the rollup sink.
   */
  private static void addAggregation(
      Topology topology,
      StreamsSettings settings,
      StreamsSettings.Resolution resolution,
      String rollupProcessor,
      String route,
      SeriesKey seriesKey,
      DropCounters drops) {
    String prefix = "aggregate-" + resolution.name();
    String topic = settings.aggregationTopic(resolution);
    Serde<Rollup> serde = RollupStoreSerde.serde();
    topology.addProcessor(
        route,
        () -> new AggregateRouteProcessor(settings.aggregationRules(), seriesKey),
        rollupProcessor);
    topology.addSink(prefix + "-out", topic, new StringSerializer(), serde.serializer(), route);
    topology.addSource(prefix + "-in", new StringDeserializer(), serde.deserializer(), topic);
    topology.addProcessor(
        prefix,
        () ->
            new AggregateProcessor(
                settings.aggregationRules(),
                resolution,
                settings.grace(),
                settings.aggregationSettle(),
                settings.closeCheckInterval(),
                prefix + "-windows",
                seriesKey,
                drops),
        prefix + "-in");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(prefix + "-windows"),
            Serdes.String(),
            AggregateProcessor.stateSerde()),
        prefix);
  }
}

package dev.metricspipeline.streams;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.streams.internal.AggregateProcessor;
import dev.metricspipeline.streams.internal.AggregateRouteProcessor;
import dev.metricspipeline.streams.internal.DecodeProcessor;
import dev.metricspipeline.streams.internal.DedupProcessor;
import dev.metricspipeline.streams.internal.RollupProcessor;
import dev.metricspipeline.streams.internal.RollupStoreSerde;
import java.time.Duration;
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
 * records to {@code metrics.rejected}) → exact-duplicate drop → one rollup processor per resolution
 * → {@code metrics.rollups.<resolution>}; late samples to {@code metrics.rejected}. With {@link
 * AggregationRule}s, each resolution's closed rollups also go, keyed by group, through {@code
 * metrics.aggregation.<resolution>} to an aggregate processor whose outputs join the same rollup
 * topic.
 *
 * <p>Every processor and store is named ({@code decode}, {@code dedup}, {@code dedup-store}, {@code
 * rollup-1m}, {@code rollup-1m-windows}, {@code rollup-1m-last}, ...), so changelog topic names
 * stay stable as the topology grows. There is no repartition: records are keyed by series id
 * upstream, so one series is always on one partition and one task. Run it with {@code
 * processing.guarantee=exactly_once_v2} (see {@link StreamsApp}).
 */
public final class MetricsTopology {

  private MetricsTopology() {}

  /**
   * Builds the topology.
   *
   * @param samples reads {@code MetricSample}s (Confluent wire format)
   * @param rollups writes {@code Rollup}s
   * @param rejected writes {@code Rejected}s
   * @param drops counts what is not rolled up, and the rollups emitted
   */
  public static Topology build(
      StreamsSettings settings,
      Deserializer<MetricSample> samples,
      Serializer<Rollup> rollups,
      Serializer<Rejected> rejected,
      DropCounters drops) {
    return build(settings, samples, rollups, rejected, drops, InputBacklog.NONE);
  }

  /**
   * Builds the topology.
   *
   * @param samples reads {@code MetricSample}s (Confluent wire format)
   * @param rollups writes {@code Rollup}s
   * @param rejected writes {@code Rejected}s
   * @param drops counts what is not rolled up, and the rollups emitted
   * @param backlog tells a quiet input partition from one whose records wait to be processed;
   *     windows close on the wall clock only for the first
   */
  public static Topology build(
      StreamsSettings settings,
      Deserializer<MetricSample> samples,
      Serializer<Rollup> rollups,
      Serializer<Rejected> rejected,
      DropCounters drops,
      InputBacklog backlog) {
    Topology topology = new Topology();
    topology.addSource(
        "samples", new StringDeserializer(), new ByteArrayDeserializer(), settings.samplesTopic());
    topology.addProcessor(
        "decode",
        () -> new DecodeProcessor(samples, drops, settings.timestamps(), "dedup", "rejected"),
        "samples");
    topology.addProcessor(
        "dedup",
        () ->
            new DedupProcessor(
                "dedup-store",
                "dedup-interval-store",
                settings.dedupInterval(),
                settings.replicaLabels(),
                drops),
        "decode");
    topology.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(
                "dedup-interval-store", settings.dedupRetention(), Duration.ofMillis(1), false),
            Serdes.String(),
            Serdes.Long()),
        "dedup");
    topology.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(
                "dedup-store", settings.dedupRetention(), Duration.ofMillis(1), false),
            Serdes.String(),
            Serdes.Long()),
        "dedup");
    String[] rejectedParents = new String[settings.resolutions().size() + 1];
    rejectedParents[0] = "decode";
    int i = 1;
    boolean aggregate = !settings.aggregationRules().isEmpty();
    SeriesKey seriesKey = SeriesKey.excluding(settings.replicaLabels());
    for (StreamsSettings.Resolution resolution : settings.resolutions()) {
      String name = "rollup-" + resolution.name();
      String windows = name + "-windows";
      String last = name + "-last";
      String sink = "rollups-" + resolution.name();
      String route = aggregate ? "aggregate-" + resolution.name() + "-route" : null;
      topology.addProcessor(
          name,
          () ->
              new RollupProcessor(
                  resolution,
                  settings.grace(),
                  settings.closeCheckInterval(),
                  windows,
                  last,
                  sink,
                  route,
                  "rejected",
                  settings.replicaLabels(),
                  drops,
                  settings.samplesTopic(),
                  backlog),
          "dedup");
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(windows), Serdes.String(), RollupStoreSerde.serde()),
          name);
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(last), Serdes.String(), Serdes.ByteArray()),
          name);
      if (aggregate) {
        addAggregation(topology, settings, resolution, name, route, seriesKey, drops);
        topology.addSink(
            sink,
            resolution.topic(),
            new StringSerializer(),
            rollups,
            name,
            "aggregate-" + resolution.name());
      } else {
        topology.addSink(sink, resolution.topic(), new StringSerializer(), rollups, name);
      }
      rejectedParents[i++] = name;
    }
    topology.addSink(
        "rejected", settings.rejectedTopic(), new StringSerializer(), rejected, rejectedParents);
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

package dev.metricspipeline.sink;

import dev.metricspipeline.formats.proto.remote.Remote;
import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.sink.internal.RollupConsumers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xerial.snappy.Snappy;

/**
 * Reads the rollup topics ({@code read_committed}) and remote_writes them (protocol 1.0, snappy
 * protobuf) to any receiver: Prometheus with {@code --web.enable-remote-write-receiver},
 * VictoriaMetrics, Mimir, Thanos receive. Users who already run one keep their own query layer.
 *
 * <p><b>Series.</b> Each rollup becomes samples named like recording rules, {@code
 * <name>:<aggregate>_<resolution>} with the original labels: {@code count}, {@code sum}, {@code
 * min}, {@code max}, {@code last}, and {@code increase} for counters (e.g. {@code
 * job_duration_seconds:max_1m}), stamped with the window's end, as a recording rule over the window
 * evaluated at its end would be.
 *
 * <p><b>Delivery.</b> A polled batch is sent in requests of at most {@code maxSamplesPerRequest}
 * samples, in offset order, and the group's offsets are committed only after the receiver has
 * answered every request of the batch, so each window revision is sent once in normal operation. A
 * network error, a timeout, 429 or 5xx is retried with backoff (100 ms doubling to 30 s) for as
 * long as it takes, with the partitions paused so the consumer keeps its group membership; the sink
 * reports not ready meanwhile. Any other 4xx is the receiver refusing the samples for good (as the
 * remote_write spec says, not to be retried): they are counted in {@code
 * sink_remote_write_samples_refused_total} and logged with the receiver's answer. A window revised
 * by late samples ({@code revision > 0}) is sent in requests of its own, because Prometheus refuses
 * a whole request when one sample changes a value it already has: a receiver that keeps the first
 * value refuses only the revisions. A crash after the receiver's answer and before the offset
 * commit sends that batch again with the same series, timestamps and values.
 */
public final class RemoteWriteSink implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteSink.class);
  private static final long MAX_BACKOFF_MS = 30_000;

  /**
   * How the remote_write sink runs.
   *
   * @param kafka where Kafka is and the client settings (SASL, TLS, ...)
   * @param url the receiver, e.g. {@code http://prometheus:9090/api/v1/write}
   * @param groupId the consumer group instances share
   * @param topics the rollup topics to read ({@code metrics.rollups.<resolution>})
   * @param basicAuth {@code user:password} for the receiver, or null
   * @param maxSamplesPerRequest the largest request sent
   * @param timeout how long one request may take
   */
  public record Config(
      KafkaConnection kafka,
      RegistryClientConfig registry,
      URI url,
      String groupId,
      List<String> topics,
      String basicAuth,
      int maxSamplesPerRequest,
      Duration timeout) {
    public Config {
      Objects.requireNonNull(kafka, "kafka");
      Objects.requireNonNull(registry, "registry");
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(groupId, "groupId");
      topics = List.copyOf(topics);
      Checks.notEmpty("topics", topics);
      Checks.positive("maxSamplesPerRequest", maxSamplesPerRequest);
      if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
        throw new IllegalArgumentException(
            "remote_write URL " + url + " must be http:// or https://");
      }
    }

    /**
     * Reads what the store writer reads (its Kafka, registry, topics and client settings) in a
     * group of its own, {@code metrics-pipeline-remote-write}; 2,000 samples a request (a
     * Prometheus sender's default), 30 s timeout, no auth.
     */
    public static Config of(SinkConfig sink, URI url) {
      return new Config(
          sink.kafka(),
          sink.registry(),
          url,
          "metrics-pipeline-remote-write",
          sink.topics(),
          null,
          2000,
          Duration.ofSeconds(30));
    }

    /** A builder holding this config's values; {@link Builder#build()} validates. */
    public Builder toBuilder() {
      return new Builder(this);
    }

    /** Builds a {@link Config}, starting from an existing one. */
    public static final class Builder {
      private String groupId;
      private String basicAuth;
      private int maxSamplesPerRequest;
      private Duration timeout;
      private final Config from;

      private Builder(Config c) {
        from = c;
        groupId = c.groupId;
        basicAuth = c.basicAuth;
        maxSamplesPerRequest = c.maxSamplesPerRequest;
        timeout = c.timeout;
      }

      public Builder groupId(String groupId) {
        this.groupId = groupId;
        return this;
      }

      /** {@code user:password} for the receiver, or null for none. */
      public Builder basicAuth(String userColonPassword) {
        this.basicAuth = userColonPassword;
        return this;
      }

      public Builder maxSamplesPerRequest(int maxSamplesPerRequest) {
        this.maxSamplesPerRequest = maxSamplesPerRequest;
        return this;
      }

      public Builder timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
      }

      public Config build() {
        return new Config(
            from.kafka,
            from.registry,
            from.url,
            groupId,
            from.topics,
            basicAuth,
            maxSamplesPerRequest,
            timeout);
      }
    }
  }

  private final Config config;
  private final KafkaConsumer<String, Rollup> consumer;
  private final HttpClient http;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;
  private final Counter sent;
  private final Counter refused;
  private final Counter retries;
  private final Counter undecodable;
  private final Timer requestLatency;
  private volatile boolean failing;
  private volatile boolean revoked;

  private RemoteWriteSink(Config config, PrometheusMeterRegistry meters) {
    this.config = config;
    this.consumer = RollupConsumers.open(config.kafka(), config.groupId(), config.registry(), 0);
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    this.sent =
        Counter.builder("sink.remote.write.samples.sent")
            .description("Rollup samples the remote_write receiver accepted")
            .register(meters);
    this.refused =
        Counter.builder("sink.remote.write.samples.refused")
            .description("Rollup samples the receiver refused for good (4xx other than 429)")
            .register(meters);
    this.retries =
        Counter.builder("sink.remote.write.retries")
            .description("remote_write requests retried after a network error, 429 or 5xx")
            .register(meters);
    this.undecodable = RollupConsumers.undecodable(meters);
    this.requestLatency =
        Timer.builder("sink.remote.write.request")
            .description("Time for one remote_write request, retries not included")
            .publishPercentiles(0.5, 0.99)
            .register(meters);
    this.thread = new Thread(this::run, "metrics-remote-write-sink");
  }

  /** Starts reading and sending on a thread of its own. */
  public static RemoteWriteSink start(Config config, PrometheusMeterRegistry meters) {
    RemoteWriteSink sink = new RemoteWriteSink(config, meters);
    sink.thread.start();
    LOG.info(
        "remote_write sink reading {} as group {} into {}",
        config.topics(),
        config.groupId(),
        config.url());
    return sink;
  }

  /** False while the receiver cannot be reached (requests being retried). */
  public boolean ready() {
    return !failing;
  }

  private void run() {
    try {
      consumer.subscribe(
          config.topics(),
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
              revoked = true;
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
          });
      while (stop.getCount() > 0) {
        ConsumerRecords<String, Rollup> records;
        try {
          records = consumer.poll(Duration.ofMillis(500));
        } catch (RecordDeserializationException e) {
          if (!RollupConsumers.stepOverIfBad(consumer, e, undecodable, LOG)) {
            awaitStop(1000); // the registry is away: read the record again
          }
          continue;
        }
        if (records.isEmpty()) {
          continue;
        }
        revoked = false;
        if (send(records)) {
          Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
          for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, Rollup>> own = records.records(tp);
            next.put(tp, new OffsetAndMetadata(own.get(own.size() - 1).offset() + 1));
          }
          consumer.commitSync(next);
        }
      }
    } catch (WakeupException e) {
      if (stop.getCount() > 0) {
        throw e;
      }
    } catch (RuntimeException e) {
      LOG.error("remote_write sink stopped", e);
    } finally {
      consumer.close();
    }
  }

  private void awaitStop(long ms) {
    try {
      stop.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.countDown();
    }
  }

  /**
   * Sends one batch, first emissions and revisions in requests of their own; false when the batch
   * was abandoned (stopping, or its partitions went to another instance while retrying).
   */
  private boolean send(ConsumerRecords<String, Rollup> records) {
    List<Remote.TimeSeries> first = new ArrayList<>();
    List<Remote.TimeSeries> revised = new ArrayList<>();
    for (ConsumerRecord<String, Rollup> record : records) {
      Rollup r = record.value();
      if (r == null) {
        continue;
      }
      (r.getRevision() > 0 ? revised : first).addAll(series(r));
    }
    return sendAll(first) && sendAll(revised);
  }

  private boolean sendAll(List<Remote.TimeSeries> series) {
    for (int i = 0; i < series.size(); i += config.maxSamplesPerRequest()) {
      List<Remote.TimeSeries> chunk =
          series.subList(i, Math.min(series.size(), i + config.maxSamplesPerRequest()));
      if (!deliver(Remote.WriteRequest.newBuilder().addAllTimeseries(chunk).build())) {
        return false;
      }
    }
    return true;
  }

  /** The rollup as recording-rule-named series, one sample each at the window's end. */
  static List<Remote.TimeSeries> series(Rollup r) {
    Map<String, Double> values = new TreeMap<>();
    values.put("count", (double) r.getCount());
    values.put("sum", r.getSum());
    values.put("min", r.getMin());
    values.put("max", r.getMax());
    values.put("last", r.getLast());
    if (r.getIncrease() != null) {
      values.put("increase", r.getIncrease());
    }
    TreeMap<String, String> labels = new TreeMap<>();
    r.getLabels().forEach((k, v) -> labels.put(k.toString(), v.toString()));
    List<Remote.TimeSeries> out = new ArrayList<>(values.size());
    for (Map.Entry<String, Double> e : values.entrySet()) {
      labels.put("__name__", r.getName() + ":" + e.getKey() + "_" + r.getResolution());
      Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
      labels.forEach((k, v) -> ts.addLabels(Remote.Label.newBuilder().setName(k).setValue(v)));
      ts.addSamples(
          Remote.Sample.newBuilder().setTimestamp(r.getWindowEnd()).setValue(e.getValue()));
      out.add(ts.build());
    }
    return out;
  }

  /**
   * Sends one request until the receiver answers it (2xx: sent; other 4xx but 429: refused, counted
   * and logged); false when abandoned.
   */
  private boolean deliver(Remote.WriteRequest request) {
    byte[] body;
    try {
      body = Snappy.compress(request.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("snappy failed", e);
    }
    int samples = request.getTimeseriesCount();
    long backoff = 100;
    boolean paused = false;
    try {
      while (true) {
        String problem;
        long started = System.nanoTime();
        try {
          HttpRequest.Builder req =
              HttpRequest.newBuilder(config.url())
                  .timeout(config.timeout())
                  .header("Content-Type", "application/x-protobuf")
                  .header("Content-Encoding", "snappy")
                  .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                  .header("User-Agent", "metrics-pipeline-remote-write-sink")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body));
          if (config.basicAuth() != null) {
            req.header(
                "Authorization",
                "Basic "
                    + Base64.getEncoder()
                        .encodeToString(config.basicAuth().getBytes(StandardCharsets.UTF_8)));
          }
          HttpResponse<String> response =
              http.send(req.build(), HttpResponse.BodyHandlers.ofString());
          requestLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          int status = response.statusCode();
          if (status / 100 == 2) {
            sent.increment(samples);
            recovered();
            return true;
          }
          if (status / 100 == 4 && status != 429) {
            refused.increment(samples);
            LOG.error(
                "The remote_write receiver {} refused {} samples with {}: {}",
                config.url(),
                samples,
                status,
                abbreviate(response.body()));
            recovered();
            return true;
          }
          problem = "HTTP " + status + ": " + abbreviate(response.body());
        } catch (IOException e) {
          problem = e.toString();
        }
        if (!failing) {
          LOG.warn(
              "remote_write to {} failed ({}); retrying with backoff, partitions paused",
              config.url(),
              problem);
        }
        failing = true;
        retries.increment();
        if (!paused) {
          consumer.pause(consumer.assignment());
          paused = true;
        }
        if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
          return false;
        }
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        // Keeps the group membership while paused; returns nothing.
        consumer.poll(Duration.ZERO);
        if (revoked) {
          LOG.warn("Partitions reassigned while retrying; the new owner sends this batch");
          return false;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (paused) {
        Set<TopicPartition> assignment = consumer.assignment();
        consumer.resume(assignment);
      }
    }
  }

  private void recovered() {
    if (failing) {
      LOG.info("remote_write to {} works again", config.url());
    }
    failing = false;
  }

  private static String abbreviate(String s) {
    String t = s == null ? "" : s.strip();
    return t.length() > 300 ? t.substring(0, 300) + "…" : t;
  }

  @Override
  public void close() {
    stop.countDown();
    consumer.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

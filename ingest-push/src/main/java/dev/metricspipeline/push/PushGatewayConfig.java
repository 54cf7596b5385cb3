package dev.metricspipeline.push;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.schemas.SampleTimestamps;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the push gateway; {@link #defaults()} holds every default in one place.
 *
 * @param host the address to listen on
 * @param port the port (Pushgateway's 9091 by default)
 * @param groupsTopic the compacted topic holding push group state
 * @param metadataTopic the compacted topic holding remote_write metric metadata (type, help, unit
 *     per family), so samples of senders that send metadata separately are typed
 * @param maxBodyBytes largest request body as sent; larger ones are refused with 413 while they
 *     stream in
 * @param maxDecompressedBytes largest body after gzip; larger ones are refused with 413
 * @param maxSamplesPerPush samples one push may carry
 * @param maxLabelsPerSeries labels one series may have, grouping labels included
 * @param maxLabelNameLength characters in a label name
 * @param maxLabelValueLength characters in a label value
 * @param memoSeries how many series the push groups' memos may hold together on this instance (a
 *     memo keeps what the last push of a group worked out for its series, ~0.8 kB a series, so that
 *     the next push of the same series skips it); 0 for none. Groups get one first come, first
 *     served
 * @param groupTtl when set, a group not pushed for this long is deleted (its series get stale
 *     markers), like a DELETE
 * @param retryAfter the Retry-After of a 503
 * @param timestamps the sample times taken; a push with a sample outside them is refused whole with
 *     400 naming the series and its timestamp
 * @param web TLS, basic auth and headers ({@code --web.config.file}); a push without the right
 *     credentials is answered 401 before its body is read, so nothing of it is published
 * @param otlp the OpenTelemetry receivers: name translation and the OTLP/gRPC port
 *     <p>Change a copy with {@link #toBuilder()}; the {@code with…} methods are shorthands for it.
 */
public record PushGatewayConfig(
    String host,
    int port,
    String groupsTopic,
    String metadataTopic,
    long maxBodyBytes,
    long maxDecompressedBytes,
    int maxSamplesPerPush,
    int maxLabelsPerSeries,
    int maxLabelNameLength,
    int maxLabelValueLength,
    int memoSeries,
    Optional<Duration> groupTtl,
    Duration retryAfter,
    SampleTimestamps timestamps,
    WebConfig web,
    OtlpConfig otlp) {

  public static final String DEFAULT_GROUPS_TOPIC = "metrics.push-groups";
  public static final String DEFAULT_METADATA_TOPIC = "metrics.metadata";

  public PushGatewayConfig {
    Objects.requireNonNull(web, "web");
    Objects.requireNonNull(otlp, "otlp");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(groupsTopic, "groupsTopic");
    Objects.requireNonNull(metadataTopic, "metadataTopic");
    Objects.requireNonNull(groupTtl, "groupTtl");
    Objects.requireNonNull(retryAfter, "retryAfter");
    Objects.requireNonNull(timestamps, "timestamps");
    Checks.port("port", port);
    Checks.atLeast("maxBodyBytes", maxBodyBytes, 1L);
    Checks.atLeast("maxDecompressedBytes", maxDecompressedBytes, 1L);
    Checks.positive("maxSamplesPerPush", maxSamplesPerPush);
    Checks.positive("maxLabelsPerSeries", maxLabelsPerSeries);
    Checks.positive("maxLabelNameLength", maxLabelNameLength);
    Checks.positive("maxLabelValueLength", maxLabelValueLength);
    Checks.atLeast("memoSeries", memoSeries, 0);
    groupTtl.ifPresent(ttl -> Checks.atLeast("groupTtl", ttl, Duration.ofSeconds(1)));
  }

  /**
   * The memos' bound by default: 50,000 series, ~0.8 kB each beside the group state's own ~0.6 kB
   * (measured with the bench's 1,000-series body), so ~41 MB when full. This low because 200,000
   * memoized series pushed {@code run -Xmx1g} into full collections under the Pushgateway bench.
   */
  public static final int DEFAULT_MEMO_SERIES = 50_000;

  /**
   * Port 9091 on every address, 16 MiB bodies (64 MiB decompressed), 100,000 samples a push, memos
   * for {@link #DEFAULT_MEMO_SERIES} series.
   */
  public static PushGatewayConfig defaults() {
    return new PushGatewayConfig(
        "0.0.0.0",
        9091,
        DEFAULT_GROUPS_TOPIC,
        DEFAULT_METADATA_TOPIC,
        16L << 20,
        64L << 20,
        100_000,
        64,
        256,
        4096,
        DEFAULT_MEMO_SERIES,
        Optional.empty(),
        Duration.ofSeconds(5),
        SampleTimestamps.defaults(),
        WebConfig.none(),
        OtlpConfig.defaults());
  }

  public PushGatewayConfig withTimestamps(SampleTimestamps timestamps) {
    return toBuilder().timestamps(timestamps).build();
  }

  public PushGatewayConfig withListen(String host, int port) {
    return toBuilder().host(host).port(port).build();
  }

  public PushGatewayConfig withGroupsTopic(String groupsTopic) {
    return toBuilder().groupsTopic(groupsTopic).build();
  }

  public PushGatewayConfig withMetadataTopic(String metadataTopic) {
    return toBuilder().metadataTopic(metadataTopic).build();
  }

  public PushGatewayConfig withLimits(
      long maxBodyBytes, long maxDecompressedBytes, int maxSamplesPerPush) {
    return toBuilder()
        .maxBodyBytes(maxBodyBytes)
        .maxDecompressedBytes(maxDecompressedBytes)
        .maxSamplesPerPush(maxSamplesPerPush)
        .build();
  }

  public PushGatewayConfig withLabelLimits(
      int maxLabelsPerSeries, int maxLabelNameLength, int maxLabelValueLength) {
    return toBuilder()
        .maxLabelsPerSeries(maxLabelsPerSeries)
        .maxLabelNameLength(maxLabelNameLength)
        .maxLabelValueLength(maxLabelValueLength)
        .build();
  }

  public PushGatewayConfig withMemoSeries(int memoSeries) {
    return toBuilder().memoSeries(memoSeries).build();
  }

  public PushGatewayConfig withGroupTtl(Optional<Duration> groupTtl) {
    return toBuilder().groupTtl(groupTtl).build();
  }

  /** Behind a web config ({@code --web.config.file}): TLS, basic auth, response headers. */
  public PushGatewayConfig withWeb(WebConfig web) {
    return toBuilder().web(web).build();
  }

  /** With other OpenTelemetry receiver settings. */
  public PushGatewayConfig withOtlp(OtlpConfig otlp) {
    return toBuilder().otlp(otlp).build();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link PushGatewayConfig}; {@link #build()} validates. */
  public static final class Builder {
    private String host;
    private int port;
    private String groupsTopic;
    private String metadataTopic;
    private long maxBodyBytes;
    private long maxDecompressedBytes;
    private int maxSamplesPerPush;
    private int maxLabelsPerSeries;
    private int maxLabelNameLength;
    private int maxLabelValueLength;
    private int memoSeries;
    private Optional<Duration> groupTtl;
    private Duration retryAfter;
    private SampleTimestamps timestamps;
    private WebConfig web;
    private OtlpConfig otlp;

    private Builder(PushGatewayConfig c) {
      host = c.host;
      port = c.port;
      groupsTopic = c.groupsTopic;
      metadataTopic = c.metadataTopic;
      maxBodyBytes = c.maxBodyBytes;
      maxDecompressedBytes = c.maxDecompressedBytes;
      maxSamplesPerPush = c.maxSamplesPerPush;
      maxLabelsPerSeries = c.maxLabelsPerSeries;
      maxLabelNameLength = c.maxLabelNameLength;
      maxLabelValueLength = c.maxLabelValueLength;
      memoSeries = c.memoSeries;
      groupTtl = c.groupTtl;
      retryAfter = c.retryAfter;
      timestamps = c.timestamps;
      web = c.web;
      otlp = c.otlp;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder groupsTopic(String groupsTopic) {
      this.groupsTopic = groupsTopic;
      return this;
    }

    public Builder metadataTopic(String metadataTopic) {
      this.metadataTopic = metadataTopic;
      return this;
    }

    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    public Builder maxDecompressedBytes(long maxDecompressedBytes) {
      this.maxDecompressedBytes = maxDecompressedBytes;
      return this;
    }

    public Builder maxSamplesPerPush(int maxSamplesPerPush) {
      this.maxSamplesPerPush = maxSamplesPerPush;
      return this;
    }

    public Builder maxLabelsPerSeries(int maxLabelsPerSeries) {
      this.maxLabelsPerSeries = maxLabelsPerSeries;
      return this;
    }

    public Builder maxLabelNameLength(int maxLabelNameLength) {
      this.maxLabelNameLength = maxLabelNameLength;
      return this;
    }

    public Builder maxLabelValueLength(int maxLabelValueLength) {
      this.maxLabelValueLength = maxLabelValueLength;
      return this;
    }

    public Builder memoSeries(int memoSeries) {
      this.memoSeries = memoSeries;
      return this;
    }

    public Builder groupTtl(Optional<Duration> groupTtl) {
      this.groupTtl = groupTtl;
      return this;
    }

    public Builder retryAfter(Duration retryAfter) {
      this.retryAfter = retryAfter;
      return this;
    }

    public Builder timestamps(SampleTimestamps timestamps) {
      this.timestamps = timestamps;
      return this;
    }

    public Builder web(WebConfig web) {
      this.web = web;
      return this;
    }

    public Builder otlp(OtlpConfig otlp) {
      this.otlp = otlp;
      return this;
    }

    public PushGatewayConfig build() {
      return new PushGatewayConfig(
          host,
          port,
          groupsTopic,
          metadataTopic,
          maxBodyBytes,
          maxDecompressedBytes,
          maxSamplesPerPush,
          maxLabelsPerSeries,
          maxLabelNameLength,
          maxLabelValueLength,
          memoSeries,
          groupTtl,
          retryAfter,
          timestamps,
          web,
          otlp);
    }
  }
}

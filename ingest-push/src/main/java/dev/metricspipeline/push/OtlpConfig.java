package dev.metricspipeline.push;

import dev.metricspipeline.formats.OtlpParser;
import dev.metricspipeline.runtime.Checks;
import java.util.Objects;
import java.util.Set;

/**
 * The OpenTelemetry receivers of the push gateway: OTLP/HTTP on the gateway's own port ({@code POST
 * /v1/metrics}) and OTLP/gRPC on its own port.
 *
 * @param grpcPort the OTLP/gRPC port (4317 by default); 0 takes any free port, -1 turns the gRPC
 *     receiver off
 * @param nameSuffixes add unit and type suffixes to metric names ({@code _seconds}, {@code
 *     _total}); off keeps names untranslated apart from character escaping
 * @param scopeLabels add {@code otel_scope_name} and {@code otel_scope_version} labels
 * @param promotedResourceAttributes resource attributes copied onto every sample as labels (all of
 *     them are in {@code target_info} anyway)
 * @param maxDeltaStreams delta-temporality streams whose cumulative value the gateway keeps; the
 *     least recently used beyond it start over (a counter reset downstream)
 */
public record OtlpConfig(
    int grpcPort,
    boolean nameSuffixes,
    boolean scopeLabels,
    Set<String> promotedResourceAttributes,
    int maxDeltaStreams) {

  public OtlpConfig {
    Objects.requireNonNull(promotedResourceAttributes, "promotedResourceAttributes");
    promotedResourceAttributes = Set.copyOf(promotedResourceAttributes);
    if (grpcPort != -1) {
      Checks.port("otlp.grpcPort", grpcPort);
    }
    Checks.positive("otlp.maxDeltaStreams", maxDeltaStreams);
  }

  /**
   * gRPC off (the launcher turns it on at 4317), suffixes and scope labels on, nothing promoted,
   * 100,000 delta streams.
   */
  public static OtlpConfig defaults() {
    return new OtlpConfig(-1, true, true, Set.of(), 100_000);
  }

  public OtlpConfig withGrpcPort(int grpcPort) {
    return new OtlpConfig(
        grpcPort, nameSuffixes, scopeLabels, promotedResourceAttributes, maxDeltaStreams);
  }

  /** The parser options these settings mean. */
  public OtlpParser.Options parserOptions() {
    return new OtlpParser.Options(nameSuffixes, scopeLabels, promotedResourceAttributes);
  }
}

package dev.metricspipeline.launcher;

import dev.metricspipeline.push.OtlpConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/** The OpenTelemetry receivers' settings, for every command that runs a push gateway. */
final class OtlpOptions {

  @Option(
      names = "--otlp-grpc-port",
      defaultValue = "4317",
      paramLabel = "PORT",
      description =
          "OTLP/gRPC port (OpenTelemetry's 4317; 0: any free one; -1: off). OTLP/HTTP is always on"
              + " at the push port's /v1/metrics. Env: METRICS_PIPELINE_OTLP_GRPC_PORT. Default:"
              + " ${DEFAULT-VALUE}")
  int grpcPort;

  @Option(
      names = "--otlp-name-suffixes",
      defaultValue = "true",
      arity = "1",
      paramLabel = "BOOL",
      description =
          "Add unit and type suffixes to OTLP metric names (http.server.request.duration in s →"
              + " http_server_request_duration_seconds, counters get _total), as Prometheus does;"
              + " false only replaces invalid characters. Env: METRICS_PIPELINE_OTLP_NAME_SUFFIXES."
              + " Default: ${DEFAULT-VALUE}")
  boolean nameSuffixes;

  @Option(
      names = "--otlp-scope-labels",
      defaultValue = "true",
      arity = "1",
      paramLabel = "BOOL",
      description =
          "Add otel_scope_name and otel_scope_version labels to OTLP samples. Env:"
              + " METRICS_PIPELINE_OTLP_SCOPE_LABELS. Default: ${DEFAULT-VALUE}")
  boolean scopeLabels;

  @Option(
      names = "--otlp-promote-resource-attributes",
      split = ",",
      paramLabel = "ATTR",
      description =
          "Resource attributes copied onto every OTLP sample as labels, e.g."
              + " k8s.namespace.name,k8s.pod.name (all of them are in target_info anyway). Env:"
              + " METRICS_PIPELINE_OTLP_PROMOTE_RESOURCE_ATTRIBUTES. Default: none")
  List<String> promoted = List.of();

  @Option(
      names = "--otlp-max-delta-streams",
      defaultValue = "100000",
      paramLabel = "N",
      description =
          "Delta-temporality streams whose running total the gateway keeps in memory; beyond"
              + " it the least recently used start over. Env:"
              + " METRICS_PIPELINE_OTLP_MAX_DELTA_STREAMS. Default: ${DEFAULT-VALUE}")
  int maxDeltaStreams;

  /** The flags that give {@link OtlpConfig}'s settings, by the names its checks use. */
  static final Map<String, String> FLAGS =
      Map.of(
          "otlp.grpcPort", "--otlp-grpc-port", "otlp.maxDeltaStreams", "--otlp-max-delta-streams");

  OtlpConfig config() {
    return new OtlpConfig(
        grpcPort, nameSuffixes, scopeLabels, Set.copyOf(promoted), maxDeltaStreams);
  }
}

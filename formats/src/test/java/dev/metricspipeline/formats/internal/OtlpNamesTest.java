package dev.metricspipeline.formats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.formats.internal.OtlpNames.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The name rules of the OpenTelemetry specification's Prometheus compatibility section, with the
 * examples it and the semantic conventions use.
 */
class OtlpNamesTest {

  @ParameterizedTest(name = "{0} [{1}] {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "http.server.request.duration | s        | OTHER   | http_server_request_duration_seconds",
        "system.filesystem.usage      | By       | GAUGE   | system_filesystem_usage_bytes",
        "system.network.io            | By       | COUNTER | system_network_io_bytes_total",
        "system.cpu.utilization       | 1        | GAUGE   | system_cpu_utilization_ratio",
        "system.cpu.time              | s        | COUNTER | system_cpu_time_seconds_total",
        "http.server.active_requests  | {request}| GAUGE   | http_server_active_requests",
        "requests                     | {request}| COUNTER | requests_total",
        "jvm.gc.duration              | ms       | OTHER   | jvm_gc_duration_milliseconds",
        "transfer.rate                | By/s     | GAUGE   | transfer_rate_bytes_per_second",
        "arrivals                     | 1/s      | GAUGE   | arrivals_per_second",
        "process.memory.usage         | MiBy     | GAUGE   | process_memory_usage_mebibytes",
        "cpu.load                     | %        | GAUGE   | cpu_load_percent",
        "room.temperature             | Cel      | GAUGE   | room_temperature_celsius",
        "foo_total                    | ''       | COUNTER | foo_total",
        "latency.seconds              | s        | OTHER   | latency_seconds",
        "bytes.sent.bytes             | By       | COUNTER | bytes_sent_bytes_total",
        "ratio.of.things              | 1        | GAUGE   | ratio_of_things",
        "a..b--c                      | ''       | GAUGE   | a_b_c",
        "1st.metric                   | ''       | GAUGE   | _1st_metric",
        "ns:metric.name               | ''       | GAUGE   | ns:metric_name",
        "custom                       | widgets  | GAUGE   | custom_widgets",
        "temp                         | 1        | COUNTER | temp_total",
      })
  void metricNames(String name, String unit, Kind kind, String expected) {
    assertThat(OtlpNames.metricName(name, unit, kind, true)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} [{1}] -> {3} without suffixes")
  @CsvSource(
      delimiter = '|',
      value = {
        "http.server.request.duration | s  | OTHER   | http_server_request_duration",
        "system.network.io            | By | COUNTER | system_network_io",
        "system.cpu.utilization       | 1  | GAUGE   | system_cpu_utilization",
      })
  void namesWithoutSuffixesAreOnlyEscaped(String name, String unit, Kind kind, String expected) {
    assertThat(OtlpNames.metricName(name, unit, kind, false)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "http.request.method, http_request_method",
    "service.instance.id, service_instance_id",
    "k8s.pod.name, k8s_pod_name",
    "0day, key_0day",
    "__reserved, _reserved",
    "a/b c, a_b_c",
    "_, key_",
    "already_fine, already_fine",
  })
  void labelNames(String attribute, String expected) {
    assertThat(OtlpNames.labelName(attribute)).isEqualTo(expected);
  }
}

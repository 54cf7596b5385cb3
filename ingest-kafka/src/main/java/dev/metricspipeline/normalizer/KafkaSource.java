package dev.metricspipeline.normalizer;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.formats.KafkaAdapterJsonParser;
import dev.metricspipeline.formats.MetricsParser;
import dev.metricspipeline.formats.ProtobufExpositionParser;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A raw topic the normalizer reads, its format, and labels to attach to every sample from it (added
 * where the sample does not have them).
 *
 * @param precision for {@code influx}: the timestamp unit ({@code ns} by default, as Telegraf
 *     writes)
 */
public record KafkaSource(
    String topic, Format format, Map<String, String> labels, String precision) {

  /** What a message on the topic holds. */
  public enum Format {
    /** Influx line protocol, one or more lines (Telegraf's {@code data_format = "influx"}). */
    INFLUX("influx"),
    /** Prometheus text 0.0.4, or OpenMetrics when the message ends with {@code # EOF}. */
    PROMETHEUS_TEXT("prometheus-text"),
    /** A snappy-compressed remote_write {@code WriteRequest} (Telegraf's prometheusremotewrite). */
    REMOTE_WRITE("remote-write"),
    /** prometheus-kafka-adapter's JSON, one sample per object. */
    PROMETHEUS_KAFKA_ADAPTER_JSON("prometheus-kafka-adapter-json");

    private final String key;

    Format(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }

    static Format parse(String key) {
      for (Format f : values()) {
        if (f.key.equals(key)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "unknown format \""
              + key
              + "\" (known: "
              + String.join(", ", Arrays.stream(values()).map(Format::key).toList())
              + ")");
    }
  }

  public KafkaSource {
    labels = Map.copyOf(labels);
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("a source needs a topic");
    }
  }

  /** The parser for one message (content type from a {@code Content-Type} header, if any). */
  MetricsParser parser(byte[] message, String contentType) {
    return switch (format) {
      case INFLUX -> InfluxLineParser.withPrecision(precision);
      case REMOTE_WRITE -> new RemoteWriteParser(64L << 20);
      case PROMETHEUS_KAFKA_ADAPTER_JSON -> KafkaAdapterJsonParser.instance();
      case PROMETHEUS_TEXT -> {
        if (contentType != null) {
          yield ProtobufExpositionParser.handles(contentType)
              ? ProtobufExpositionParser.instance()
              : TextFormatParser.forContentType(contentType);
        }
        yield endsWithEof(message) ? TextFormatParser.openMetrics() : TextFormatParser.prometheus();
      }
    };
  }

  private static boolean endsWithEof(byte[] message) {
    String tail =
        new String(
                message,
                Math.max(0, message.length - 16),
                Math.min(16, message.length),
                StandardCharsets.UTF_8)
            .strip();
    return tail.endsWith("# EOF");
  }

  /**
   * The four topics {@code run} creates: metrics.in.influx, .prometheus, .remote-write, .pka-json.
   */
  public static List<KafkaSource> defaults() {
    return List.of(
        new KafkaSource(Topics.RAW_INPUTS.get(0), Format.INFLUX, Map.of(), "ns"),
        new KafkaSource(Topics.RAW_INPUTS.get(1), Format.PROMETHEUS_TEXT, Map.of(), null),
        new KafkaSource(Topics.RAW_INPUTS.get(2), Format.REMOTE_WRITE, Map.of(), null),
        new KafkaSource(
            Topics.RAW_INPUTS.get(3), Format.PROMETHEUS_KAFKA_ADAPTER_JSON, Map.of(), null));
  }

  record SourceYaml(
      @JsonProperty("topic") String topic,
      @JsonProperty("format") String format,
      @JsonProperty("labels") Map<String, String> labels,
      @JsonProperty("precision") String precision) {}

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads a YAML list of {@code {topic, format, labels, precision}}.
   *
   * @throws IllegalArgumentException with file and line for unknown keys, and what is wrong
   */
  public static List<KafkaSource> load(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Parses sources from YAML text; {@code source} is named in errors. */
  public static List<KafkaSource> parse(String yaml, String source) {
    List<SourceYaml> raw;
    try {
      raw =
          yaml.isBlank()
              ? List.of()
              : YAML.readValue(yaml, new TypeReference<List<SourceYaml>>() {});
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          source
              + ":"
              + e.getLocation().getLineNr()
              + ": unknown key '"
              + e.getPropertyName()
              + "' (known: "
              + new TreeSet<>(e.getKnownPropertyIds().stream().map(Object::toString).toList())
              + ")");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + ":" + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
    }
    List<KafkaSource> out = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      SourceYaml y = raw.get(i);
      try {
        if (y.format() == null) {
          throw new IllegalArgumentException("a source needs a format");
        }
        Format format = Format.parse(y.format().toLowerCase(Locale.ROOT));
        if (y.precision() != null) {
          if (format != Format.INFLUX) {
            throw new IllegalArgumentException("precision is for the influx format only");
          }
          InfluxLineParser.withPrecision(y.precision());
        }
        out.add(
            new KafkaSource(
                y.topic(),
                format,
                y.labels() == null ? Map.of() : new TreeMap<>(y.labels()),
                y.precision() == null ? "ns" : y.precision()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            source + ": source " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(out);
  }
}

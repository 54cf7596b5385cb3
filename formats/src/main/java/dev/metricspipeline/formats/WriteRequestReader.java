package dev.metricspipeline.formats;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.metricspipeline.formats.RemoteWriteSeriesCache.Series;
import dev.metricspipeline.formats.proto.remote.Remote.Exemplar;
import dev.metricspipeline.formats.proto.remote.Remote.Histogram;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * A remote_write 1.0 {@code WriteRequest} read off its wire bytes, without a message object per
 * series, label and sample: each series' label fields are looked up by their bytes in a {@link
 * RemoteWriteSeriesCache} and decoded only when not found; samples go into two arrays.
 *
 * <p>Accepts what protobuf-java's generated {@code WriteRequest.parseFrom} accepts (unknown fields
 * skipped, the last of a repeated scalar kept, strings required to be UTF-8) and refuses what it
 * refuses, with one exception: the deprecated group wire types, which no proto3 sender writes, are
 * refused wherever they appear instead of being skipped as unknown fields ({@code
 * WriteRequestReaderTest} holds it to protobuf-java on mutated bodies).
 */
final class WriteRequestReader {

  private static final int SERIES = 10; // WriteRequest.timeseries, field 1, length-delimited
  private static final int METADATA = 26; // WriteRequest.metadata, field 3
  private static final int LABEL = 10; // TimeSeries.labels, field 1
  private static final int SAMPLE = 18; // TimeSeries.samples, field 2
  private static final int EXEMPLAR = 26; // TimeSeries.exemplars, field 3
  private static final int HISTOGRAM = 34; // TimeSeries.histograms, field 4
  private static final int LABEL_NAME = 10; // Label.name, field 1
  private static final int LABEL_VALUE = 18; // Label.value, field 2
  private static final int SAMPLE_VALUE = 9; // Sample.value, field 1, 64-bit
  private static final int SAMPLE_TIMESTAMP = 16; // Sample.timestamp, field 2, varint

  final List<MetricMetadata> metadata = new ArrayList<>();
  Series[] series = new Series[64];

  /** Per series, the index in {@link #values} after its last sample. */
  int[] samplesEnd = new int[64];

  int seriesCount;
  double[] values = new double[64];
  long[] timestamps = new long[64];
  int sampleCount;

  /** Exemplars and native histograms, read past and not kept. */
  int dropped;

  private final byte[] raw;
  private final RemoteWriteSeriesCache cache;

  /** The current series' labels: payload offset and length per label. */
  private int[] labelAt = new int[32];

  private WriteRequestReader(byte[] raw, RemoteWriteSeriesCache cache) {
    this.raw = raw;
    this.cache = cache;
  }

  /**
   * Reads a decompressed WriteRequest.
   *
   * @param cache where series are looked up and remembered, or null to decode every series
   * @throws ParseException if it is not a WriteRequest, or a series has a bad name or labels
   */
  static WriteRequestReader read(byte[] raw, RemoteWriteSeriesCache cache) throws ParseException {
    WriteRequestReader reader = new WriteRequestReader(raw, cache);
    try {
      reader.request();
    } catch (InvalidProtocolBufferException e) {
      throw notWriteRequest(e.getMessage());
    } catch (IOException e) {
      throw notWriteRequest(e.toString());
    }
    return reader;
  }

  private static ParseException notWriteRequest(String why) {
    return new ParseException(0, 0, "the body is not a remote_write WriteRequest: " + why);
  }

  private void request() throws IOException, ParseException {
    CodedInputStream in = CodedInputStream.newInstance(raw);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (tag == SERIES) {
        int length = in.readRawVarint32();
        int limit = in.pushLimit(length);
        series(in);
        in.popLimit(limit);
      } else if (tag == METADATA) {
        metadata.add(MetricMetadata.parseFrom(in.readBytes()));
      } else {
        skip(in, tag);
      }
    }
  }

  /** One TimeSeries, up to the stream's limit. */
  private void series(CodedInputStream in) throws IOException, ParseException {
    int labels = 0;
    int labelsFrom = -1;
    int labelsTo = -1;
    boolean together = true;
    while (true) {
      int before = in.getTotalBytesRead();
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (tag) {
        case LABEL -> {
          int length = in.readRawVarint32();
          int at = in.getTotalBytesRead();
          in.skipRawBytes(length);
          if (labels == 0) {
            labelsFrom = before;
          } else if (before != labelsTo) {
            together = false; // another field between two labels: decode them one by one
          }
          labelsTo = in.getTotalBytesRead();
          if (2 * labels + 2 > labelAt.length) {
            labelAt = Arrays.copyOf(labelAt, labelAt.length * 2);
          }
          labelAt[2 * labels] = at;
          labelAt[2 * labels + 1] = length;
          labels++;
        }
        case SAMPLE -> {
          int length = in.readRawVarint32();
          int limit = in.pushLimit(length);
          sample(in);
          in.popLimit(limit);
        }
        case EXEMPLAR -> {
          dropped++;
          Exemplar.parseFrom(in.readBytes()); // checked as protobuf-java would, then not kept
        }
        case HISTOGRAM -> {
          dropped++;
          Histogram.parseFrom(in.readBytes());
        }
        default -> skip(in, tag);
      }
    }
    RemoteWriteSeriesCache.Key key =
        cache != null && together && labels > 0
            ? RemoteWriteSeriesCache.key(raw, labelsFrom, labelsTo)
            : null;
    Series found = key == null ? null : cache.get(key);
    if (found == null) {
      found = decodeLabels(labels, together, labelsFrom, labelsTo);
      if (key != null) {
        cache.put(key, found);
      }
    }
    if (seriesCount == series.length) {
      series = Arrays.copyOf(series, seriesCount * 2);
      samplesEnd = Arrays.copyOf(samplesEnd, seriesCount * 2);
    }
    series[seriesCount] = found;
    samplesEnd[seriesCount] = sampleCount;
    seriesCount++;
  }

  /**
   * The series' labels decoded and checked, as protobuf-java and then the parser would: from one
   * stream over the label fields when they are together, else label by label.
   */
  private Series decodeLabels(int labels, boolean together, int from, int to)
      throws IOException, ParseException {
    TreeMap<String, String> map = new TreeMap<>();
    String[] name = new String[1];
    if (together) {
      CodedInputStream in = CodedInputStream.newInstance(raw, from, to - from);
      for (int i = 0; i < labels; i++) {
        in.readTag(); // LABEL, as read before
        int limit = in.pushLimit(in.readRawVarint32());
        label(in, map, name);
        in.popLimit(limit);
      }
    } else {
      for (int i = 0; i < labels; i++) {
        label(CodedInputStream.newInstance(raw, labelAt[2 * i], labelAt[2 * i + 1]), map, name);
      }
    }
    RemoteWriteParser.checkName(seriesCount, name[0], map);
    return new Series(name[0], map);
  }

  /** One Label up to the stream's limit: {@code __name__} into {@code name[0]}, else the map. */
  private void label(CodedInputStream in, TreeMap<String, String> map, String[] name)
      throws IOException, ParseException {
    String labelName = "";
    String value = "";
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == LABEL_NAME) {
        labelName = in.readStringRequireUtf8();
      } else if (tag == LABEL_VALUE) {
        value = in.readStringRequireUtf8();
      } else {
        skip(in, tag);
      }
    }
    if (labelName.equals("__name__")) {
      name[0] = value;
    } else {
      RemoteWriteParser.putLabel(seriesCount, map, labelName, value);
    }
  }

  private void sample(CodedInputStream in) throws IOException {
    double value = 0;
    long timestamp = 0;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == SAMPLE_VALUE) {
        value = in.readDouble();
      } else if (tag == SAMPLE_TIMESTAMP) {
        timestamp = in.readInt64();
      } else {
        skip(in, tag);
      }
    }
    if (sampleCount == values.length) {
      values = Arrays.copyOf(values, sampleCount * 2);
      timestamps = Arrays.copyOf(timestamps, sampleCount * 2);
    }
    values[sampleCount] = value;
    timestamps[sampleCount] = timestamp;
    sampleCount++;
  }

  /** Skips an unknown field; a group is refused (proto3 has none, and skipping one recurses). */
  private static void skip(CodedInputStream in, int tag) throws IOException {
    int type = WireFormat.getTagWireType(tag);
    if (type == WireFormat.WIRETYPE_START_GROUP || type == WireFormat.WIRETYPE_END_GROUP) {
      throw new InvalidProtocolBufferException(
          "field " + WireFormat.getTagFieldNumber(tag) + " uses the group wire type");
    }
    in.skipField(tag);
  }
}

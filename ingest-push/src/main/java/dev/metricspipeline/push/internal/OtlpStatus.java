package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * OTLP response bodies: the export response in JSON, and {@code google.rpc.Status} (code 1, message
 * 2), written by hand because its generated class is not on the classpath.
 */
final class OtlpStatus {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private OtlpStatus() {}

  static byte[] json(ExportMetricsServiceResponse response) {
    try {
      return JSON.print(response).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print an OTLP response", e);
    }
  }

  static byte[] statusProtobuf(int code, String message) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeInt32(1, code);
      out.writeString(2, message);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static byte[] statusJson(int code, String message) {
    ObjectNode status = MAPPER.createObjectNode().put("code", code).put("message", message);
    return status.toString().getBytes(StandardCharsets.UTF_8);
  }
}

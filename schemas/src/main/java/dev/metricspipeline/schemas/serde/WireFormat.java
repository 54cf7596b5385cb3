package dev.metricspipeline.schemas.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's wire format: byte 0 is the magic byte {@value #MAGIC_BYTE}, bytes 1–4 the schema id
 * (big-endian int), then the Avro binary encoding of the record with that schema.
 */
public final class WireFormat {

  /** The only magic byte defined. */
  public static final byte MAGIC_BYTE = 0;

  /** Magic byte plus schema id. */
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /**
   * Writes the header (magic byte, then the schema id) into the first {@link #HEADER_SIZE} bytes.
   */
  public static void writeHeader(byte[] into, int schemaId) {
    ByteBuffer.wrap(into, 0, HEADER_SIZE).put(MAGIC_BYTE).putInt(schemaId);
  }

  /**
   * The schema id of a framed payload.
   *
   * @throws SerializationException if the payload is too short or the magic byte is unknown
   */
  public static int schemaId(String topic, byte[] payload) {
    if (payload.length < HEADER_SIZE) {
      throw new SerializationException(
          "Cannot decode record from topic "
              + topic
              + ": "
              + payload.length
              + " bytes is shorter than the 5-byte Confluent wire-format header");
    }
    if (payload[0] != MAGIC_BYTE) {
      throw new SerializationException(
          String.format(
              "Cannot decode record from topic %s: unknown magic byte 0x%02x (expected 0x00, the"
                  + " Confluent wire format); the record was not written by an Avro serializer"
                  + " using a Schema Registry",
              topic, payload[0] & 0xff));
    }
    return ByteBuffer.wrap(payload, 1, 4).getInt();
  }
}

package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.avro.Rollup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Plain Avro binary for open windows in state stores and their changelogs: internal data needs no
 * Schema Registry subject. Trap: a change to the Rollup schema must stay readable by this reader
 * (the same compatibility rules as the topics), or restoring a store after an upgrade fails.
 */
public final class RollupStoreSerde {

  private RollupStoreSerde() {}

  public static Serde<Rollup> serde() {
    SpecificDatumWriter<Rollup> writer = new SpecificDatumWriter<>(Rollup.class);
    SpecificDatumReader<Rollup> reader = new SpecificDatumReader<>(Rollup.class);
    return Serdes.serdeFrom(
        (topic, rollup) -> {
          if (rollup == null) {
            return null;
          }
          try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(128);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(rollup, encoder);
            encoder.flush();
            return out.toByteArray();
          } catch (IOException e) {
            throw new SerializationException("cannot encode an open window", e);
          }
        },
        (topic, bytes) -> {
          if (bytes == null) {
            return null;
          }
          try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
          } catch (IOException e) {
            throw new SerializationException("cannot decode an open window", e);
          }
        });
  }
}

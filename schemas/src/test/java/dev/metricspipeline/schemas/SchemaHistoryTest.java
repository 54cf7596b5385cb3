package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleBatch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every schema must stay FULL_TRANSITIVE compatible with each released version kept under {@code
 * src/test/resources/schema-history/<Record>/vN.avsc}: today's readers read old records and old
 * readers read today's. When a schema changes compatibly, add its new version there as {@code
 * vN+1.avsc} in the same commit.
 *
 * <p>{@code metrics.samples} changed shape once: from one {@code MetricSample} per record to {@code
 * SampleBatch} records of {@code MetricSample}s (MetricSample v3 added the items' {@code
 * seriesId}). The batch has its own subject (TopicRecordNameStrategy), so neither history had an
 * incompatible step; readers tell the two by the writer schema's name ({@code
 * SamplesDeserializer}), and {@link #batchItemsAreTheCurrentMetricSample} ties the batch's items to
 * MetricSample's history.
 */
class SchemaHistoryTest {

  static Stream<Arguments> releasedVersions() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (Schema current :
        List.of(
            MetricSample.getClassSchema(),
            SampleBatch.getClassSchema(),
            Rollup.getClassSchema(),
            Rejected.getClassSchema())) {
      String name = current.getName();
      for (int v = 1; ; v++) {
        try (InputStream in =
            SchemaHistoryTest.class.getResourceAsStream(
                "/schema-history/" + name + "/v" + v + ".avsc")) {
          if (in == null) {
            assertThat(v).as("released versions of %s", name).isGreaterThan(1);
            break;
          }
          out.add(Arguments.of(name + " v" + v, new Schema.Parser().parse(in), current));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void currentSchemaReadsReleasedRecords(String version, Schema released, Schema current) {
    assertCompatible(current, released);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void releasedReadersReadCurrentRecords(String version, Schema released, Schema current) {
    assertCompatible(released, current);
  }

  @Test
  void batchItemsAreTheCurrentMetricSample() {
    assertThat(SampleBatch.getClassSchema().getField("samples").schema().getElementType())
        .isEqualTo(MetricSample.getClassSchema());
    assertThat(MetricSample.getClassSchema().getFields())
        .last()
        .as("the batch encoder writes items as MetricSample without its last field, then the id")
        .satisfies(f -> assertThat(f.name()).isEqualTo("seriesId"));
  }

  private static void assertCompatible(Schema reader, Schema writer) {
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    assertThat(result.getType())
        .as("%s", result.getResult().getIncompatibilities())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }
}

package dev.metricspipeline.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class SchemaRegistryIT {

  private static Schema widget(boolean withColour, boolean colourHasDefault) {
    SchemaBuilder.FieldAssembler<Schema> fields =
        SchemaBuilder.record("Widget").namespace("test").fields().requiredString("id");
    if (withColour) {
      fields =
          colourHasDefault
              ? fields.name("colour").type().stringType().stringDefault("red")
              : fields.requiredString("colour");
    }
    return fields.endRecord();
  }

  @Test
  void idsSurviveARegistryRestart(KafkaCluster kafka) {
    String topic = kafka.uniqueTopic("_schemas");
    int sampleId;
    int rollupId;
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), topic, "127.0.0.1", 0)) {
      SchemaRegistryClient client =
          new SchemaRegistryClient(RegistryClientConfig.of(registry.url()));
      sampleId = client.register("metrics.samples-value", MetricSample.getClassSchema());
      rollupId = client.register("metrics.rollups.1m-value", Rollup.getClassSchema());
      client.setCompatibility("metrics.rollups.1m-value", CompatibilityLevel.FULL);
      assertThat(rollupId).isNotEqualTo(sampleId);
      // The same schema under another subject keeps its global id.
      assertThat(client.register("other-value", MetricSample.getClassSchema())).isEqualTo(sampleId);
    }

    try (EmbeddedSchemaRegistry restarted =
        EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), topic, "127.0.0.1", 0)) {
      SchemaRegistryClient fresh =
          new SchemaRegistryClient(RegistryClientConfig.of(restarted.url()));
      assertThat(fresh.schemaById(sampleId)).isEqualTo(MetricSample.getClassSchema());
      assertThat(fresh.schemaById(rollupId)).isEqualTo(Rollup.getClassSchema());
      assertThat(fresh.idOf("metrics.samples-value", MetricSample.getClassSchema()))
          .isEqualTo(sampleId);
      assertThat(fresh.register("metrics.rollups.1m-value", Rollup.getClassSchema()))
          .isEqualTo(rollupId);
      assertThat(fresh.compatibility("metrics.rollups.1m-value"))
          .isEqualTo(CompatibilityLevel.FULL);
      assertThat(fresh.subjects())
          .containsExactlyInAnyOrder(
              "metrics.samples-value", "metrics.rollups.1m-value", "other-value");
      // A new schema after the restart gets a new id, not a reused one.
      int next = fresh.register("w-value", widget(false, false));
      assertThat(next).isGreaterThan(Math.max(sampleId, rollupId));
    }
  }

  @Test
  void incompatibleSchemaIsRefusedWithATypedError(KafkaCluster kafka) {
    SchemaRegistryClient client =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    String subject = kafka.uniqueTopic("widgets") + "-value";
    int v1 = client.register(subject, widget(false, false));
    assertThat(client.compatibility(subject)).isEqualTo(CompatibilityLevel.BACKWARD);

    // A new required field without a default cannot read old records: BACKWARD refuses it.
    assertThatThrownBy(() -> client.register(subject, widget(true, false)))
        .isInstanceOf(SchemaRegistryException.IncompatibleSchemaException.class)
        .hasMessageContaining("incompatible")
        .hasMessageContaining("colour")
        .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(409));
    assertThat(client.isCompatible(subject, widget(true, false))).isFalse();

    // With a default it can.
    assertThat(client.isCompatible(subject, widget(true, true))).isTrue();
    int v2 = client.register(subject, widget(true, true));
    assertThat(v2).isNotEqualTo(v1);
    assertThat(client.versions(subject)).containsExactly(1, 2);
    assertThat(client.latest(subject).id()).isEqualTo(v2);
  }

  @Test
  void registryErrorsBecomeTypedExceptions(KafkaCluster kafka) {
    SchemaRegistryClient client =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    String subject = kafka.uniqueTopic("nothing") + "-value";
    assertThatThrownBy(() -> client.schemaById(987654))
        .isInstanceOf(SchemaRegistryException.SchemaNotFoundException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(40403));
    assertThatThrownBy(() -> client.latest(subject))
        .isInstanceOf(SchemaRegistryException.SubjectNotFoundException.class)
        .hasMessageContaining(subject);
    client.register(subject, widget(false, false));
    assertThatThrownBy(() -> client.idOf(subject, widget(true, true)))
        .isInstanceOf(SchemaRegistryException.SchemaNotFoundException.class);
  }

  @Test
  void unreachableRegistryIsRetriable() {
    SchemaRegistryClient client =
        new SchemaRegistryClient(RegistryClientConfig.of("http://127.0.0.1:1"));
    assertThatThrownBy(() -> client.schemaById(1))
        .isInstanceOf(SchemaRegistryException.RegistryUnavailableException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).isRetriable()).isTrue());
  }
}

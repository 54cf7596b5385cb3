package dev.metricspipeline.runtime;

import dev.metricspipeline.schemas.avro.RejectReason;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output or changelog record could not be serialized or written: the input record that made it
 * goes to {@code metrics.rejected} ({@code PRODUCTION_ERROR}) and processing goes on, unless the
 * fault is not about that record ({@link StreamsFaults#isRecordFault}). A reject that itself cannot
 * be written is dropped, counted and logged (there is nowhere further to put it). See {@link
 * StreamsFaults} for what exactly-once does to a record the broker refuses.
 */
public final class RejectingProductionHandler implements ProductionExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(RejectingProductionHandler.class);

  private StreamsFaults faults;

  @Override
  public void configure(Map<String, ?> configs) {
    faults = StreamsFaults.from(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception e) {
    return handle(context, record.topic(), e, "writing to");
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Response handleSerializationError(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception e,
      SerializationExceptionOrigin origin) {
    return handle(context, record.topic(), e, "serializing the " + origin + " for");
  }

  private Response handle(ErrorHandlerContext context, String topic, Exception e, String doing) {
    if (!StreamsFaults.isRecordFault(e)) {
      return Response.fail();
    }
    if (faults.rejectedTopic().equals(topic)) {
      faults.count("unwritable_reject");
      LOG.error(
          "Dropped a reject of {}-{}@{}: {} {} failed: {}",
          context.topic(),
          context.partition(),
          context.offset(),
          doing,
          topic,
          e.toString());
      return Response.resume(List.of());
    }
    return Response.resume(
        faults.reject(
            RejectReason.PRODUCTION_ERROR, doing + " " + topic + " failed: " + e, context));
  }
}

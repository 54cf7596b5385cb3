package dev.metricspipeline.runtime;

import dev.metricspipeline.schemas.avro.RejectReason;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A processor threw: the input record goes to {@code metrics.rejected} ({@code PROCESSING_ERROR})
 * and processing goes on, unless the fault is not about that record ({@link
 * StreamsFaults#isRecordFault}), which fails the thread for a retry. Configured by {@link
 * StreamsFaults#configure}.
 */
public final class RejectingProcessingHandler implements ProcessingExceptionHandler {

  private StreamsFaults faults;

  @Override
  public void configure(Map<String, ?> configs) {
    faults = StreamsFaults.from(configs);
  }

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception e) {
    if (!StreamsFaults.isRecordFault(e)) {
      return Response.fail();
    }
    return Response.resume(
        faults.reject(
            RejectReason.PROCESSING_ERROR, context.processorNodeId() + " threw " + e, context));
  }
}

package dev.metricspipeline.formats.internal;

import java.math.BigDecimal;
import java.util.Map;

/**
 * One sample line as written: name, labels (in input order), value, optional timestamp.
 *
 * @param line 1-based line number
 * @param valueText the value token as written
 * @param timestamp the timestamp in the dialect's unit (seconds for OpenMetrics, ms for Prometheus
 *     text), or null
 * @param exemplar whether an exemplar followed (OpenMetrics)
 */
public record ParsedLine(
    int line,
    String name,
    Map<String, String> labels,
    double value,
    String valueText,
    BigDecimal timestamp,
    boolean exemplar) {}

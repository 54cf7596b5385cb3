package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.SeriesTexts;

/**
 * A parse cache for one source of text bodies (a scrape target): what each series text of its last
 * body (a sample line's metric name and labels, exactly as written) parsed to. Given to {@link
 * TextFormatParser#parse(byte[], long, SeriesTextCache)}, a line whose series text is in it gets
 * the same name and label set without its labels being parsed, copied or hashed again: the same
 * idea as Prometheus's per-target scrape cache. Samples are identical with or without it.
 *
 * <p>It holds the last body that parsed whole (a failed parse leaves it as it was): its bytes (its
 * string when it is not all ASCII), where each sample line's series text is in it, and what that
 * text parsed to, so it is about as large as one body; the {@code i}th line of a body is compared
 * in place with the {@code i}th of the last one first (reading both bodies front to back), then
 * looked up by text. It keeps the array given to {@link TextFormatParser#parse(byte[], long,
 * SeriesTextCache)}, which must not change after. The metric names of its {@code # HELP} and {@code
 * # TYPE} lines are kept too, in order, and compared in place, so an unchanged comment line gets
 * the same name string. Thread-safe; parses may overlap. Used by the Prometheus text format 0.0.4;
 * OpenMetrics bodies are parsed without it.
 */
public final class SeriesTextCache {

  final SeriesTexts texts = new SeriesTexts();

  /** The series texts remembered from the last body that parsed whole, one per sample line. */
  public int size() {
    return texts.size();
  }
}

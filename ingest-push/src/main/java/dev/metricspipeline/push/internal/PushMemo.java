package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.formats.SeriesTextCache;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this instance worked out for the series of a push group's last push, so that the next push
 * of the same series (a job pushing its metrics again) skips it: the text parser's cache for the
 * group's bodies, and per series as parsed its labels with the grouping labels over them (checked
 * against the label limits), its id, its encoding for the samples topic and its JSON head in the
 * group state. Prometheus keeps the same kind of cache per scrape target; the Pushgateway API's
 * target is the group.
 *
 * <p>Everything here follows from a series' parsed name and labels, the group's grouping key and
 * the gateway's fixed config, so a push is the same with or without a memo. A series is found at
 * the position it had in the last push when it has the <em>very</em> name and label objects (the
 * parser's cache hands them back for an unchanged line), else by an equal name and label set; its
 * family and type must also be the ones it had. The series it holds keep their JSON heads ({@link
 * GroupState.Series}, made with {@code keepsHead}).
 *
 * <p>Holds the series of the last push only ({@link #remember} replaces them whole). Pushes to one
 * group run one after another ({@link GroupStore#serialized}), so only one push uses a memo at a
 * time; the fields are volatile for the next push's thread.
 */
final class PushMemo {

  /** A series as parsed: its name and labels. */
  private record Parsed(String name, Map<String, String> labels) {}

  /**
   * What a series as parsed resolved to.
   *
   * @param series the series in the state the push wrote: its merged labels and its JSON head
   * @param id the series id
   * @param encoded its encoding for the samples topic, made of {@code series}' name and labels
   */
  record Resolved(GroupState.Series series, String id, EncodedSeries encoded) {}

  /** The last push's series as parsed, in order, and what each resolved to. */
  private record Last(List<ParsedSample> samples, Resolved[] resolved, Map<Parsed, Resolved> all) {
    static final Last NONE = new Last(List.of(), new Resolved[0], Map.of());
  }

  private final SeriesTextCache texts = new SeriesTextCache();
  private volatile Last last = Last.NONE;
  private boolean cleared; // guarded by this

  /** The series all memos hold, kept up to date by this one. */
  private final AtomicInteger held;

  /**
   * @param held the count of the series all memos hold, which this one adds its own to
   */
  PushMemo(AtomicInteger held) {
    this.held = held;
  }

  /** The text parser's cache for this group's bodies. */
  SeriesTextCache texts() {
    return texts;
  }

  /**
   * What the series of {@code p}, the {@code i}th sample of a push, resolved to in the last push:
   * the one at position {@code i} if {@code p} carries its very name and label objects, else one
   * with an equal name and label set; null if there is none, or if its family or type differ.
   */
  Resolved find(int i, ParsedSample p, String family) {
    Last l = last;
    Resolved r = null;
    if (i < l.resolved.length) {
      ParsedSample was = l.samples.get(i);
      if (was.name() == p.name() && was.labels() == p.labels()) {
        r = l.resolved[i];
      }
    }
    if (r == null) {
      r = l.all.get(new Parsed(p.name(), p.labels()));
    }
    if (r == null || r.series().type() != p.type() || !r.series().family().equals(family)) {
      return null;
    }
    return r;
  }

  /**
   * Keeps what a push's samples resolved to ({@link PushPlan#resolved}, aligned with them), for the
   * next push.
   */
  synchronized void remember(List<ParsedSample> samples, List<Resolved> resolved) {
    if (cleared) {
      return; // the group was deleted meanwhile (by another instance): this memo is gone
    }
    Map<Parsed, Resolved> all = new HashMap<>(samples.size() * 4 / 3 + 16);
    for (int i = 0; i < samples.size(); i++) {
      all.put(new Parsed(samples.get(i).name(), samples.get(i).labels()), resolved.get(i));
    }
    Last before = last;
    last = new Last(samples, resolved.toArray(new Resolved[0]), all);
    held.addAndGet(resolved.size() - before.resolved.length);
  }

  /** Forgets the series (the group was deleted). */
  synchronized void clear() {
    cleared = true;
    Last before = last;
    last = Last.NONE;
    held.addAndGet(-before.resolved.length);
  }
}

package dev.metricspipeline.pull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A target after relabeling: what to scrape and the labels its samples get.
 *
 * @param job the scrape config it belongs to
 * @param labels the target labels ({@code job}, {@code instance}, group labels; no {@code __}
 *     labels)
 * @param discoveredLabels the labels before relabeling (for {@code /api/v1/targets})
 * @param url the scrape URL
 * @param interval from {@code __scrape_interval__} after relabeling
 * @param timeout from {@code __scrape_timeout__} after relabeling
 */
public record Target(
    PullConfig.ScrapeJob job,
    TreeMap<String, String> labels,
    TreeMap<String, String> discoveredLabels,
    String url,
    Duration interval,
    Duration timeout) {

  /**
   * The identity of a target: its job, URL and labels. A target whose identity survives a reload
   * keeps its scrape state; this is also what is hashed to a coordination partition.
   */
  public String key() {
    return job.jobName() + "|" + url + "|" + labels;
  }

  /**
   * Builds the target for one discovered address, as Prometheus does: the group's labels plus
   * {@code __address__}, {@code job}, {@code __scheme__}, {@code __metrics_path__}, {@code
   * __scrape_interval__}, {@code __scrape_timeout__} and {@code __param_<name>}, then {@code
   * relabel_configs}; {@code instance} defaults to {@code __address__}; labels starting with {@code
   * __} are removed.
   *
   * @return null if relabeling dropped it
   * @throws IllegalArgumentException if relabeling left no {@code __address__} or a bad interval
   */
  public static Target of(
      PullConfig.ScrapeJob job, String address, Map<String, String> groupLabels) {
    TreeMap<String, String> labels = new TreeMap<>(groupLabels);
    labels.put("__address__", address);
    labels.putIfAbsent("job", job.jobName());
    labels.put("__scheme__", job.scheme());
    labels.put("__metrics_path__", job.metricsPath());
    labels.put("__scrape_interval__", PromDurationText.of(job.scrapeInterval()));
    labels.put("__scrape_timeout__", PromDurationText.of(job.scrapeTimeout()));
    job.params()
        .forEach(
            (k, v) -> {
              if (!v.isEmpty()) {
                labels.put("__param_" + k, v.get(0));
              }
            });
    TreeMap<String, String> discovered = new TreeMap<>(labels);
    TreeMap<String, String> relabeled = Relabeler.apply(labels, job.relabelConfigs());
    if (relabeled == null) {
      return null;
    }
    String addr = relabeled.get("__address__");
    if (addr == null || addr.isEmpty()) {
      throw new IllegalArgumentException("no address after relabeling " + discovered);
    }
    Map<String, List<String>> params = new LinkedHashMap<>(job.params());
    relabeled.forEach(
        (k, v) -> {
          if (k.startsWith("__param_")) {
            params.put(k.substring("__param_".length()), List.of(v));
          }
        });
    StringBuilder url =
        new StringBuilder(relabeled.get("__scheme__"))
            .append("://")
            .append(addr)
            .append(relabeled.get("__metrics_path__"));
    char sep = '?';
    for (Map.Entry<String, List<String>> p : params.entrySet()) {
      for (String v : p.getValue()) {
        url.append(sep)
            .append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8))
            .append('=')
            .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = '&';
      }
    }
    Duration interval = PromDurationText.parse(relabeled.get("__scrape_interval__"));
    Duration timeout = PromDurationText.parse(relabeled.get("__scrape_timeout__"));
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          "scrape timeout greater than scrape interval for target " + addr);
    }
    TreeMap<String, String> out = new TreeMap<>();
    relabeled.forEach(
        (k, v) -> {
          if (!k.startsWith("__") && !v.isEmpty()) {
            out.put(k, v);
          }
        });
    out.putIfAbsent("instance", addr);
    return new Target(job, out, discovered, url.toString(), interval, timeout);
  }

  /** Durations as they appear in target labels. */
  static final class PromDurationText {
    private PromDurationText() {}

    static String of(Duration d) {
      long ms = d.toMillis();
      return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }

    static Duration parse(String text) {
      return Duration.ofMillis(dev.metricspipeline.formats.PromDurations.parse(text));
    }
  }
}

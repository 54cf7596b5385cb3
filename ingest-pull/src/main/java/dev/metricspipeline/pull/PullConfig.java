package dev.metricspipeline.pull;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.metricspipeline.formats.PromDurations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus configuration file, as far as scraping goes: {@code global} ({@code
 * scrape_interval}, {@code scrape_timeout}, {@code external_labels}) and {@code scrape_configs}.
 * Other top-level Prometheus sections ({@code rule_files}, {@code alerting}, {@code remote_write},
 * ...) are accepted and ignored, so an existing {@code prometheus.yml} loads unchanged. Parsing is
 * strict: an unknown key is an error naming file, line and key; a Prometheus key this scraper does
 * not implement (another service discovery, OAuth2, proxies) is an error saying so.
 */
public record PullConfig(
    Duration scrapeInterval,
    Duration scrapeTimeout,
    Map<String, String> externalLabels,
    List<ScrapeJob> jobs) {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /** Prometheus keys this scraper knows and does not implement. */
  private static final Set<String> UNSUPPORTED =
      Set.of(
          "kubernetes_sd_configs",
          "consul_sd_configs",
          "dns_sd_configs",
          "ec2_sd_configs",
          "azure_sd_configs",
          "gce_sd_configs",
          "http_sd_configs",
          "docker_sd_configs",
          "dockerswarm_sd_configs",
          "openstack_sd_configs",
          "oauth2",
          "proxy_url",
          "no_proxy",
          "proxy_from_environment",
          "proxy_connect_header",
          "scrape_protocols",
          "scrape_classic_histograms",
          "native_histogram_bucket_limit",
          "native_histogram_min_bucket_factor",
          "enable_compression",
          "track_timestamps_staleness",
          "keep_dropped_targets",
          "bearer_token",
          "bearer_token_file");

  public PullConfig {
    externalLabels = Map.copyOf(externalLabels);
    jobs = List.copyOf(jobs);
  }

  /** A config with no jobs. */
  public static PullConfig empty() {
    return new PullConfig(Duration.ofMinutes(1), Duration.ofSeconds(10), Map.of(), List.of());
  }

  /** Basic auth for a job; the password may come from a file. */
  public record BasicAuth(String username, String password, Path passwordFile) {}

  /** TLS settings for a job's targets. */
  public record Tls(
      Path caFile, Path certFile, Path keyFile, String serverName, boolean insecureSkipVerify) {}

  /** One static target group: addresses and the labels they share. */
  public record TargetGroup(List<String> targets, Map<String, String> labels) {
    public TargetGroup {
      targets = List.copyOf(targets);
      labels = Map.copyOf(labels);
    }
  }

  /** A {@code file_sd_configs} entry: JSON or YAML files (globs in the last path element). */
  public record FileSd(List<String> files, Duration refreshInterval) {}

  /** One {@code scrape_configs} entry, with defaults from {@code global} filled in. */
  public record ScrapeJob(
      String jobName,
      Duration scrapeInterval,
      Duration scrapeTimeout,
      String metricsPath,
      String scheme,
      Map<String, List<String>> params,
      boolean honorLabels,
      boolean honorTimestamps,
      List<TargetGroup> staticConfigs,
      List<FileSd> fileSdConfigs,
      List<RelabelConfig> relabelConfigs,
      List<RelabelConfig> metricRelabelConfigs,
      BasicAuth basicAuth,
      String authorizationType,
      String authorizationCredentials,
      Path authorizationCredentialsFile,
      Tls tls,
      long sampleLimit,
      long labelLimit,
      long labelNameLengthLimit,
      long labelValueLengthLimit,
      long bodySizeLimit,
      long targetLimit,
      boolean followRedirects) {}

  // The YAML as written; every field nullable. Jackson reports unknown keys with their line.
  record GlobalYaml(
      @JsonProperty("scrape_interval") String scrapeInterval,
      @JsonProperty("scrape_timeout") String scrapeTimeout,
      @JsonProperty("evaluation_interval") String evaluationInterval,
      @JsonProperty("rule_query_offset") String ruleQueryOffset,
      @JsonProperty("query_log_file") String queryLogFile,
      @JsonProperty("scrape_failure_log_file") String scrapeFailureLogFile,
      @JsonProperty("external_labels") Map<String, String> externalLabels,
      @JsonProperty("body_size_limit") String bodySizeLimit,
      @JsonProperty("sample_limit") Long sampleLimit,
      @JsonProperty("label_limit") Long labelLimit,
      @JsonProperty("label_name_length_limit") Long labelNameLengthLimit,
      @JsonProperty("label_value_length_limit") Long labelValueLengthLimit,
      @JsonProperty("target_limit") Long targetLimit) {}

  record FileYaml(
      @JsonProperty("global") GlobalYaml global,
      @JsonProperty("scrape_configs") List<JobYaml> scrapeConfigs,
      @JsonProperty("scrape_config_files") JsonNode scrapeConfigFiles,
      @JsonProperty("rule_files") JsonNode ruleFiles,
      @JsonProperty("alerting") JsonNode alerting,
      @JsonProperty("remote_write") JsonNode remoteWrite,
      @JsonProperty("remote_read") JsonNode remoteRead,
      @JsonProperty("storage") JsonNode storage,
      @JsonProperty("tracing") JsonNode tracing,
      @JsonProperty("otlp") JsonNode otlp,
      @JsonProperty("runtime") JsonNode runtime) {}

  record StaticYaml(
      @JsonProperty("targets") List<String> targets,
      @JsonProperty("labels") Map<String, String> labels) {}

  record FileSdYaml(
      @JsonProperty("files") List<String> files,
      @JsonProperty("refresh_interval") String refreshInterval) {}

  record RelabelYaml(
      @JsonProperty("source_labels") List<String> sourceLabels,
      @JsonProperty("separator") String separator,
      @JsonProperty("target_label") String targetLabel,
      @JsonProperty("regex") String regex,
      @JsonProperty("modulus") Long modulus,
      @JsonProperty("replacement") String replacement,
      @JsonProperty("action") String action) {}

  record BasicAuthYaml(
      @JsonProperty("username") String username,
      @JsonProperty("password") String password,
      @JsonProperty("password_file") String passwordFile) {}

  record AuthorizationYaml(
      @JsonProperty("type") String type,
      @JsonProperty("credentials") String credentials,
      @JsonProperty("credentials_file") String credentialsFile) {}

  record TlsYaml(
      @JsonProperty("ca_file") String caFile,
      @JsonProperty("cert_file") String certFile,
      @JsonProperty("key_file") String keyFile,
      @JsonProperty("server_name") String serverName,
      @JsonProperty("insecure_skip_verify") Boolean insecureSkipVerify,
      @JsonProperty("min_version") String minVersion) {}

  record JobYaml(
      @JsonProperty("job_name") String jobName,
      @JsonProperty("scrape_interval") String scrapeInterval,
      @JsonProperty("scrape_timeout") String scrapeTimeout,
      @JsonProperty("metrics_path") String metricsPath,
      @JsonProperty("scheme") String scheme,
      @JsonProperty("params") Map<String, List<String>> params,
      @JsonProperty("honor_labels") Boolean honorLabels,
      @JsonProperty("honor_timestamps") Boolean honorTimestamps,
      @JsonProperty("follow_redirects") Boolean followRedirects,
      @JsonProperty("enable_http2") Boolean enableHttp2,
      @JsonProperty("static_configs") List<StaticYaml> staticConfigs,
      @JsonProperty("file_sd_configs") List<FileSdYaml> fileSdConfigs,
      @JsonProperty("relabel_configs") List<RelabelYaml> relabelConfigs,
      @JsonProperty("metric_relabel_configs") List<RelabelYaml> metricRelabelConfigs,
      @JsonProperty("basic_auth") BasicAuthYaml basicAuth,
      @JsonProperty("authorization") AuthorizationYaml authorization,
      @JsonProperty("tls_config") TlsYaml tlsConfig,
      @JsonProperty("sample_limit") Long sampleLimit,
      @JsonProperty("label_limit") Long labelLimit,
      @JsonProperty("label_name_length_limit") Long labelNameLengthLimit,
      @JsonProperty("label_value_length_limit") Long labelValueLengthLimit,
      @JsonProperty("body_size_limit") String bodySizeLimit,
      @JsonProperty("target_limit") Long targetLimit) {}

  /**
   * Reads a configuration file.
   *
   * @throws IllegalArgumentException naming the file (and line, for YAML errors) and the problem
   */
  public static PullConfig load(Path file) {
    try {
      return parse(Files.readString(file), file.toString(), file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read scrape config " + file, e);
    }
  }

  /**
   * Parses configuration text.
   *
   * @param source named in errors
   * @param baseDir relative file paths (file_sd, password files) resolve against it
   */
  public static PullConfig parse(String yaml, String source, Path baseDir) {
    FileYaml file;
    try {
      file = yaml.isBlank() ? null : YAML.readValue(yaml, FileYaml.class);
    } catch (UnrecognizedPropertyException e) {
      String key = e.getPropertyName();
      String what =
          UNSUPPORTED.contains(key)
              ? "key '" + key + "' is Prometheus's but this scraper does not support it"
              : "unknown key '"
                  + key
                  + "' (known here: "
                  + new TreeSet<>(e.getKnownPropertyIds().stream().map(Object::toString).toList())
                  + ")";
      throw error(source, e.getLocation(), what);
    } catch (JsonProcessingException e) {
      throw error(source, e.getLocation(), e.getOriginalMessage());
    }
    if (file == null) {
      return empty();
    }
    GlobalYaml g = file.global();
    Duration interval =
        duration(
            source,
            "global",
            "scrape_interval",
            g == null ? null : g.scrapeInterval(),
            Duration.ofMinutes(1));
    Duration timeout =
        duration(
            source,
            "global",
            "scrape_timeout",
            g == null ? null : g.scrapeTimeout(),
            Duration.ofSeconds(10));
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          source + ": global scrape timeout greater than scrape interval");
    }
    Map<String, String> external =
        g == null || g.externalLabels() == null ? Map.of() : g.externalLabels();
    for (String name : external.keySet()) {
      if (!name.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
        throw new IllegalArgumentException(source + ": \"" + name + "\" is not a valid label name");
      }
    }
    List<ScrapeJob> jobs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    if (file.scrapeConfigs() != null) {
      for (JobYaml job : file.scrapeConfigs()) {
        ScrapeJob built = job(source, baseDir, job, interval, timeout, g);
        if (!names.add(built.jobName())) {
          throw new IllegalArgumentException(
              source + ": found multiple scrape configs with job name \"" + built.jobName() + "\"");
        }
        jobs.add(built);
      }
    }
    return new PullConfig(interval, timeout, new TreeMap<>(external), jobs);
  }

  private static ScrapeJob job(
      String source, Path baseDir, JobYaml y, Duration gInterval, Duration gTimeout, GlobalYaml g) {
    if (y.jobName() == null || y.jobName().isEmpty()) {
      throw new IllegalArgumentException(source + ": job_name is empty");
    }
    String where = "scrape config \"" + y.jobName() + "\"";
    Duration interval = duration(source, where, "scrape_interval", y.scrapeInterval(), gInterval);
    Duration defaultTimeout = gTimeout.compareTo(interval) > 0 ? interval : gTimeout;
    Duration timeout = duration(source, where, "scrape_timeout", y.scrapeTimeout(), defaultTimeout);
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          source
              + ": scrape timeout greater than scrape interval for scrape config with job name \""
              + y.jobName()
              + "\"");
    }
    String scheme = y.scheme() == null ? "http" : y.scheme();
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          source + ": " + where + ": unknown scheme \"" + scheme + "\" (http or https)");
    }
    String path = y.metricsPath() == null ? "/metrics" : y.metricsPath();
    List<TargetGroup> statics = new ArrayList<>();
    if (y.staticConfigs() != null) {
      for (StaticYaml s : y.staticConfigs()) {
        List<String> targets = s.targets() == null ? List.of() : s.targets();
        for (String t : targets) {
          if (t.contains("/")) {
            throw new IllegalArgumentException(
                source
                    + ": "
                    + where
                    + ": \""
                    + t
                    + "\" is not a valid hostname (host:port, no path)");
          }
        }
        statics.add(new TargetGroup(targets, s.labels() == null ? Map.of() : s.labels()));
      }
    }
    List<FileSd> files = new ArrayList<>();
    if (y.fileSdConfigs() != null) {
      for (FileSdYaml f : y.fileSdConfigs()) {
        if (f.files() == null || f.files().isEmpty()) {
          throw new IllegalArgumentException(
              source + ": " + where + ": file_sd_configs entry has no files");
        }
        List<String> resolved = new ArrayList<>();
        for (String pattern : f.files()) {
          if (!pattern.matches(".*\\.(json|yml|yaml)$")) {
            throw new IllegalArgumentException(
                source
                    + ": "
                    + where
                    + ": file_sd file \""
                    + pattern
                    + "\" must end in .json, .yml or .yaml");
          }
          resolved.add(baseDir == null ? pattern : baseDir.resolve(pattern).toString());
        }
        files.add(
            new FileSd(
                resolved,
                duration(
                    source,
                    where,
                    "refresh_interval",
                    f.refreshInterval(),
                    Duration.ofMinutes(5))));
      }
    }
    BasicAuth basic = null;
    if (y.basicAuth() != null) {
      BasicAuthYaml b = y.basicAuth();
      if (b.password() != null && b.passwordFile() != null) {
        throw new IllegalArgumentException(
            source
                + ": "
                + where
                + ": at most one of basic_auth password & password_file must be configured");
      }
      basic = new BasicAuth(b.username(), b.password(), path(baseDir, b.passwordFile()));
    }
    String authType = null;
    String authCredentials = null;
    Path authFile = null;
    if (y.authorization() != null) {
      AuthorizationYaml a = y.authorization();
      if (basic != null) {
        throw new IllegalArgumentException(
            source
                + ": "
                + where
                + ": at most one of basic_auth, oauth2 & authorization must be configured");
      }
      if (a.credentials() != null && a.credentialsFile() != null) {
        throw new IllegalArgumentException(
            source
                + ": "
                + where
                + ": at most one of authorization credentials & credentials_file must be configured");
      }
      authType = a.type() == null ? "Bearer" : a.type();
      if (authType.equalsIgnoreCase("basic")) {
        throw new IllegalArgumentException(
            source
                + ": "
                + where
                + ": authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
      authCredentials = a.credentials();
      authFile = path(baseDir, a.credentialsFile());
    }
    Tls tls = null;
    if (y.tlsConfig() != null) {
      TlsYaml t = y.tlsConfig();
      if ((t.certFile() == null) != (t.keyFile() == null)) {
        throw new IllegalArgumentException(
            source + ": " + where + ": tls_config needs both cert_file and key_file, or neither");
      }
      tls =
          new Tls(
              path(baseDir, t.caFile()),
              path(baseDir, t.certFile()),
              path(baseDir, t.keyFile()),
              t.serverName(),
              Boolean.TRUE.equals(t.insecureSkipVerify()));
    }
    return new ScrapeJob(
        y.jobName(),
        interval,
        timeout,
        path,
        scheme,
        y.params() == null ? Map.of() : new LinkedHashMap<>(y.params()),
        Boolean.TRUE.equals(y.honorLabels()),
        y.honorTimestamps() == null || y.honorTimestamps(),
        statics,
        files,
        relabels(source, where, "relabel_configs", y.relabelConfigs()),
        relabels(source, where, "metric_relabel_configs", y.metricRelabelConfigs()),
        basic,
        authType,
        authCredentials,
        authFile,
        tls,
        limit(y.sampleLimit(), g == null ? null : g.sampleLimit()),
        limit(y.labelLimit(), g == null ? null : g.labelLimit()),
        limit(y.labelNameLengthLimit(), g == null ? null : g.labelNameLengthLimit()),
        limit(y.labelValueLengthLimit(), g == null ? null : g.labelValueLengthLimit()),
        bytes(
            source,
            where,
            y.bodySizeLimit() != null ? y.bodySizeLimit() : g == null ? null : g.bodySizeLimit()),
        limit(y.targetLimit(), g == null ? null : g.targetLimit()),
        y.followRedirects() == null || y.followRedirects());
  }

  private static long limit(Long job, Long global) {
    return job != null ? job : global != null ? global : 0;
  }

  private static Path path(Path baseDir, String file) {
    if (file == null) {
      return null;
    }
    return baseDir == null ? Path.of(file) : baseDir.resolve(file);
  }

  private static List<RelabelConfig> relabels(
      String source, String where, String key, List<RelabelYaml> list) {
    List<RelabelConfig> out = new ArrayList<>();
    if (list == null) {
      return out;
    }
    for (int i = 0; i < list.size(); i++) {
      RelabelYaml r = list.get(i);
      try {
        out.add(
            RelabelConfig.of(
                r.sourceLabels(),
                r.separator(),
                r.targetLabel(),
                r.regex(),
                r.modulus(),
                r.replacement(),
                r.action()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            source + ": " + where + ": " + key + "[" + i + "]: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static Duration duration(
      String source, String where, String key, String text, Duration fallback) {
    if (text == null) {
      return fallback;
    }
    try {
      long ms = PromDurations.parse(text);
      if (ms <= 0) {
        throw new IllegalArgumentException("must be positive");
      }
      return Duration.ofMillis(ms);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          source + ": " + where + ": " + key + ": not a valid duration string: \"" + text + "\"",
          e);
    }
  }

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B|B)?");

  /**
   * Prometheus's byte sizes: {@code 1024}, {@code 10MB} (1024-based, as Prometheus), {@code 1KiB}.
   */
  static long bytes(String source, String where, String text) {
    if (text == null || text.isEmpty()) {
      return 0;
    }
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          source + ": " + where + ": body_size_limit: not a valid size: \"" + text + "\"");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT).replace("I", "");
    return switch (unit) {
      case "KB" -> n << 10;
      case "MB" -> n << 20;
      case "GB" -> n << 30;
      case "TB" -> n << 40;
      default -> n;
    };
  }

  private static IllegalArgumentException error(String source, JsonLocation at, String what) {
    String line = at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr();
    return new IllegalArgumentException(source + line + ": " + what);
  }
}

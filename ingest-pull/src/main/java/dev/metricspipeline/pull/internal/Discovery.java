package dev.metricspipeline.pull.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.Target;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a config's static and file-discovered target groups into {@link Target}s. File SD files are
 * JSON or YAML lists of {@code {targets: [...], labels: {...}}}, as Prometheus reads them; a file
 * that does not parse keeps its last good content (logged), as Prometheus does.
 */
public final class Discovery {

  private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** One discovered group as written in a file. */
  record FileGroup(List<String> targets, Map<String, String> labels) {}

  /** A target that could not be built, with why. */
  public record Dropped(String job, Map<String, String> discoveredLabels, String reason) {}

  /** The outcome of one discovery pass. */
  public record Result(List<Target> targets, List<Dropped> dropped, Map<String, String> errors) {}

  private final Map<Path, List<PullConfig.TargetGroup>> lastGood = new LinkedHashMap<>();

  /** Builds every target of every job. */
  public synchronized Result discover(PullConfig config) {
    List<Target> targets = new ArrayList<>();
    List<Dropped> dropped = new ArrayList<>();
    Map<String, String> errors = new LinkedHashMap<>();
    for (PullConfig.ScrapeJob job : config.jobs()) {
      List<PullConfig.TargetGroup> groups = new ArrayList<>(job.staticConfigs());
      for (PullConfig.FileSd sd : job.fileSdConfigs()) {
        for (String pattern : sd.files()) {
          for (Path file : expand(pattern)) {
            groups.addAll(read(file, errors));
          }
        }
      }
      List<Target> own = new ArrayList<>();
      for (PullConfig.TargetGroup group : groups) {
        for (String address : group.targets()) {
          try {
            Target t = Target.of(job, address, group.labels());
            if (t == null) {
              Map<String, String> labels = new LinkedHashMap<>(group.labels());
              labels.put("__address__", address);
              dropped.add(new Dropped(job.jobName(), labels, "dropped by relabeling"));
            } else {
              own.add(t);
            }
          } catch (IllegalArgumentException e) {
            Map<String, String> labels = new LinkedHashMap<>(group.labels());
            labels.put("__address__", address);
            dropped.add(new Dropped(job.jobName(), labels, e.getMessage()));
            LOG.warn("Target {} of job {} dropped: {}", address, job.jobName(), e.getMessage());
          }
        }
      }
      targets.addAll(own);
    }
    return new Result(targets, dropped, errors);
  }

  private static List<Path> expand(String pattern) {
    Path path = Path.of(pattern);
    String name = path.getFileName().toString();
    if (!name.contains("*") && !name.contains("?") && !name.contains("[")) {
      return List.of(path);
    }
    Path dir = path.toAbsolutePath().getParent();
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (matcher.matches(f.getFileName())) {
          out.add(f);
        }
      }
    } catch (IOException e) {
      LOG.warn("Cannot list {}: {}", dir, e.toString());
    }
    out.sort(null);
    return out;
  }

  private List<PullConfig.TargetGroup> read(Path file, Map<String, String> errors) {
    try {
      String text = Files.readString(file);
      ObjectMapper mapper = file.toString().endsWith(".json") ? JSON : YAML;
      List<FileGroup> groups =
          text.isBlank()
              ? List.of()
              : mapper.readValue(text, new TypeReference<List<FileGroup>>() {});
      List<PullConfig.TargetGroup> out = new ArrayList<>();
      for (FileGroup g : groups) {
        out.add(
            new PullConfig.TargetGroup(
                g.targets() == null ? List.of() : g.targets(),
                g.labels() == null ? Map.of() : g.labels()));
      }
      lastGood.put(file, out);
      return out;
    } catch (JsonProcessingException e) {
      String why = "cannot parse " + file + ": " + e.getOriginalMessage();
      errors.put(file.toString(), why);
      LOG.warn("{}; keeping its last good content", why);
      return lastGood.getOrDefault(file, List.of());
    } catch (IOException e) {
      errors.put(file.toString(), "cannot read " + file + ": " + e);
      LOG.warn("Cannot read {}: {}", file, e.toString());
      lastGood.remove(file);
      return List.of();
    }
  }
}

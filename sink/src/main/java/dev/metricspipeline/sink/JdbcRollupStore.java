package dev.metricspipeline.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.metricspipeline.promql.Windows;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.sink.internal.SqlDialect;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RollupStore} over JDBC, on SQLite ({@code jdbc:sqlite:FILE}, WAL mode, writes in {@code
 * BEGIN IMMEDIATE} transactions) or PostgreSQL ({@code jdbc:postgresql://...}), pooled with
 * HikariCP.
 *
 * <p><b>Schema</b> (version 2, created on {@link #migrate}; a version 1 store gains {@code
 * metric_series.type}, filled as its series are next written):
 *
 * <ul>
 *   <li>{@code metric_series(id, series_key, metric, labels, type)}: {@code type} is the latest
 *       {@code SampleType} written for the series (what {@code /api/v1/metadata} answers from);
 *       {@code id} is the first 63 bits of the SHA-256 of the series key, so every instance derives
 *       the same id without a lookup; a collision (two keys, one id) is detected when a series is
 *       first written and fails the batch. {@code labels} is JSON ({@code jsonb} on PostgreSQL).
 *       Indexed by metric.
 *   <li>{@code rollups(series_id, resolution, window_start, window_end, count, sum, min, max,
 *       first, last, increase, resets)}, primary key {@code (series_id, resolution, window_start)},
 *       times in ms since the epoch; on PostgreSQL also {@code time timestamptz}, generated from
 *       {@code window_start}, for Grafana's {@code $__timeFilter}. Indexed by {@code (resolution,
 *       window_start)} for retention.
 *   <li>{@code sink_offsets(topic, kafka_partition, next_offset)}: how far each partition has been
 *       written.
 *   <li>{@code sink_schema(version)}.
 * </ul>
 *
 * <p>SQLite turns NaN into NULL: a NULL value reads back as NaN.
 */
public final class JdbcRollupStore implements RollupStore {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcRollupStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SCHEMA_VERSION = 2;
  private static final int IN_CHUNK = 500;

  /** The two supported databases. */
  public enum Dialect {
    SQLITE,
    POSTGRESQL
  }

  private final SqlDialect dialect;
  private final HikariDataSource pool;
  private final DataSource connections;
  private final String description;
  private final Map<Long, String> knownSeries = new ConcurrentHashMap<>();

  private JdbcRollupStore(
      SqlDialect sql, HikariDataSource pool, DataSource connections, String description) {
    this.dialect = sql;
    this.pool = pool;
    this.connections = connections;
    this.description = description;
  }

  /**
   * Opens a store; nothing is created until {@link #migrate}.
   *
   * @param jdbcUrl {@code jdbc:sqlite:PATH} or {@code jdbc:postgresql://HOST:PORT/DB?user=...}
   * @throws IllegalArgumentException for any other URL
   */
  public static JdbcRollupStore open(String jdbcUrl) {
    return open(jdbcUrl, UnaryOperator.identity());
  }

  /**
   * Opens a store whose connections come through {@code connections} (applied to the pool): the
   * seam for this package's tests to decorate connections (a crash just before a commit, a failed
   * transaction), so no test hook is public API.
   */
  static JdbcRollupStore open(String jdbcUrl, UnaryOperator<DataSource> connections) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setPoolName("metrics-sink");
    config.setInitializationFailTimeout(-1); // start even if the database is down; retry later
    config.setConnectionTimeout(5_000);
    SqlDialect sql = SqlDialect.of(jdbcUrl);
    sql.configure(config, jdbcUrl);
    HikariDataSource pool = new HikariDataSource(config);
    return new JdbcRollupStore(sql, pool, connections.apply(pool), redact(jdbcUrl));
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  public Dialect dialect() {
    return Dialect.valueOf(dialect.name());
  }

  @Override
  public void migrate() throws StoreException {
    try (Connection c = connections.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        dialect.lockForMigration(s);
        s.execute("CREATE TABLE IF NOT EXISTS sink_schema (version INTEGER NOT NULL)");
        Integer version = null;
        try (ResultSet rs = s.executeQuery("SELECT max(version) FROM sink_schema")) {
          if (rs.next()) {
            int v = rs.getInt(1);
            version = rs.wasNull() ? null : v;
          }
        }
        if (version != null && version > SCHEMA_VERSION) {
          throw new StoreException(
              "the store "
                  + description
                  + " has schema version "
                  + version
                  + ", newer than this sink's "
                  + SCHEMA_VERSION
                  + "; upgrade the sink",
              null);
        }
        if (version == null) {
          for (String ddl : dialect.ddl()) {
            s.execute(ddl);
          }
          s.execute("INSERT INTO sink_schema (version) VALUES (" + SCHEMA_VERSION + ")");
          LOG.info("Created the rollup store schema v{} in {}", SCHEMA_VERSION, description);
        } else if (version == 1) {
          s.execute("ALTER TABLE metric_series ADD COLUMN type TEXT");
          s.execute("INSERT INTO sink_schema (version) VALUES (2)");
          LOG.info(
              "Migrated the rollup store {} from schema v1 to v2 (metric_series.type)",
              description);
        }
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot create the schema in " + description + ": " + e, e);
    }
  }

  @Override
  public Map<TopicPartition, Long> nextOffsets(Collection<TopicPartition> partitions)
      throws StoreException {
    try (Connection c = connections.getConnection()) {
      return readOffsets(c, partitions, false);
    } catch (SQLException e) {
      throw new StoreException("cannot read offsets from " + description + ": " + e, e);
    }
  }

  private Map<TopicPartition, Long> readOffsets(
      Connection c, Collection<TopicPartition> partitions, boolean lock) throws SQLException {
    Map<TopicPartition, Long> out = new HashMap<>();
    String sql =
        "SELECT next_offset FROM sink_offsets WHERE topic = ? AND kafka_partition = ?"
            + (lock ? dialect.forUpdate() : "");
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (TopicPartition tp : partitions) {
        ps.setString(1, tp.topic());
        ps.setInt(2, tp.partition());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            out.put(tp, rs.getLong(1));
          }
        }
      }
    }
    return out;
  }

  @Override
  public WriteResult write(List<Consumed> batch) throws StoreException {
    if (batch.isEmpty()) {
      return new WriteResult(0, 0);
    }
    Map<TopicPartition, Long> nextByPartition = new LinkedHashMap<>();
    for (Consumed record : batch) {
      nextByPartition.merge(record.partition(), record.offset() + 1, Math::max);
    }
    Map<Long, Rollup> newSeries = new HashMap<>();
    try (Connection c = connections.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (dialect.locksOffsetRows()) {
          ensureOffsetRows(c, nextByPartition.keySet());
        }
        Map<TopicPartition, Long> stored = readOffsets(c, nextByPartition.keySet(), true);
        List<Consumed> fresh = new ArrayList<>(batch.size());
        for (Consumed record : batch) {
          Long next = stored.get(record.partition());
          if (next == null || record.offset() >= next) {
            fresh.add(record);
          }
        }
        long[] ids = new long[fresh.size()];
        for (int i = 0; i < ids.length; i++) {
          Rollup rollup = fresh.get(i).rollup();
          ids[i] = seriesId(rollup.getSeries());
          if (!rollup.getType().name().equals(knownSeries.get(ids[i]))) {
            newSeries.put(ids[i], rollup);
          }
        }
        insertSeries(c, newSeries);
        upsertRollups(c, fresh, ids);
        advanceOffsets(c, nextByPartition, stored);
        c.commit();
        newSeries.forEach((id, rollup) -> knownSeries.put(id, rollup.getType().name()));
        return new WriteResult(fresh.size(), batch.size() - fresh.size());
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException(
          "cannot write " + batch.size() + " rollups to " + description + ": " + e, e);
    }
  }

  private void ensureOffsetRows(Connection c, Collection<TopicPartition> partitions)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO sink_offsets (topic, kafka_partition, next_offset) VALUES (?, ?, 0)"
                + " ON CONFLICT (topic, kafka_partition) DO NOTHING")) {
      for (TopicPartition tp : partitions) {
        ps.setString(1, tp.topic());
        ps.setInt(2, tp.partition());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void insertSeries(Connection c, Map<Long, Rollup> series) throws SQLException {
    if (series.isEmpty()) {
      return;
    }
    String sql =
        "INSERT INTO metric_series (id, series_key, metric, labels, type) VALUES (?, ?, ?, "
            + dialect.jsonParameter()
            + ", ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type WHERE metric_series.type IS"
            + " NULL OR metric_series.type <> excluded.type";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (Map.Entry<Long, Rollup> e : series.entrySet()) {
        ps.setLong(1, e.getKey());
        ps.setString(2, e.getValue().getSeries());
        ps.setString(3, e.getValue().getName());
        ps.setString(4, json(e.getValue().getLabels()));
        ps.setString(5, e.getValue().getType().name());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    // A series key that hashes to another key's id, or a key already stored under another id
    // (impossible unless the hash changed), would mix two series: fail instead.
    List<Long> ids = new ArrayList<>(series.keySet());
    for (int i = 0; i < ids.size(); i += IN_CHUNK) {
      List<Long> chunk = ids.subList(i, Math.min(ids.size(), i + IN_CHUNK));
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, series_key FROM metric_series WHERE id IN ("
                  + marks(chunk.size())
                  + ")")) {
        for (int j = 0; j < chunk.size(); j++) {
          ps.setLong(j + 1, chunk.get(j));
        }
        int found = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found++;
            String expected = series.get(rs.getLong(1)).getSeries();
            if (!expected.equals(rs.getString(2))) {
              throw new SQLException(
                  "series id collision: " + expected + " and " + rs.getString(2) + " share an id");
            }
          }
        }
        if (found != chunk.size()) {
          throw new SQLException("a series key is stored under another id; the store is corrupt");
        }
      }
    }
  }

  /** Upserts the fresh rollups; {@code ids[i]} is the series id of {@code fresh.get(i)}. */
  private void upsertRollups(Connection c, List<Consumed> fresh, long[] ids) throws SQLException {
    if (fresh.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO rollups (series_id, resolution, window_start, window_end, count, sum,"
                + " min, max, first, last, increase, resets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                + " ?, ?) ON CONFLICT (series_id, resolution, window_start) DO UPDATE SET"
                + " window_end = excluded.window_end, count = excluded.count, sum = excluded.sum,"
                + " min = excluded.min, max = excluded.max, first = excluded.first, last ="
                + " excluded.last, increase = excluded.increase, resets = excluded.resets")) {
      for (int i = 0; i < ids.length; i++) {
        Rollup r = fresh.get(i).rollup();
        ps.setLong(1, ids[i]);
        ps.setString(2, r.getResolution());
        ps.setLong(3, r.getWindowStart());
        ps.setLong(4, r.getWindowEnd());
        ps.setLong(5, r.getCount());
        setDouble(ps, 6, r.getSum());
        setDouble(ps, 7, r.getMin());
        setDouble(ps, 8, r.getMax());
        setDouble(ps, 9, r.getFirst());
        setDouble(ps, 10, r.getLast());
        if (r.getIncrease() == null) {
          ps.setNull(11, Types.DOUBLE);
        } else {
          setDouble(ps, 11, r.getIncrease());
        }
        if (r.getResets() == null) {
          ps.setNull(12, Types.BIGINT);
        } else {
          ps.setLong(12, r.getResets());
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void setDouble(PreparedStatement ps, int i, double v) throws SQLException {
    dialect.setDouble(ps, i, v);
  }

  private static void advanceOffsets(
      Connection c, Map<TopicPartition, Long> next, Map<TopicPartition, Long> stored)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO sink_offsets (topic, kafka_partition, next_offset) VALUES (?, ?, ?) ON"
                + " CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset ="
                + " excluded.next_offset")) {
      for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
        Long before = stored.get(e.getKey());
        if (before != null && before >= e.getValue()) {
          continue; // never move an offset back
        }
        ps.setString(1, e.getKey().topic());
        ps.setInt(2, e.getKey().partition());
        ps.setLong(3, e.getValue());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public List<MetricMetadata> metadata(String family) throws StoreException {
    Set<MetricMetadata> out = new LinkedHashSet<>();
    try (Connection c = connections.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT DISTINCT metric, type FROM metric_series WHERE type IS NOT NULL ORDER BY"
                    + " metric, type")) {
      while (rs.next()) {
        SampleType type;
        try {
          type = SampleType.valueOf(rs.getString(2));
        } catch (IllegalArgumentException e) {
          type = SampleType.UNTYPED;
        }
        MetricMetadata m = MetricMetadata.of(rs.getString(1), type);
        if (m != null && (family == null || family.equals(m.family()))) {
          out.add(m);
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read metadata from " + description + ": " + e, e);
    }
    return new ArrayList<>(out);
  }

  @Override
  public List<StoredSeries> series(String metricName) throws StoreException {
    return series(metricName, null, 0, 0);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One primary-key range probe per series and resolution ({@code EXISTS} on {@code (series_id,
   * resolution, window_start)}).
   */
  @Override
  public List<StoredSeries> series(
      String metricName, Map<String, Long> resolutions, long from, long to) throws StoreException {
    List<String> where = new ArrayList<>();
    if (metricName != null) {
      where.add("metric = ?");
    }
    List<Map.Entry<String, Long>> windows =
        resolutions == null ? List.of() : List.copyOf(resolutions.entrySet());
    if (resolutions != null) {
      String exists =
          "EXISTS (SELECT 1 FROM rollups r WHERE r.series_id = s.id AND r.resolution = ? AND"
              + " r.window_start > ? AND r.window_start <= ?)";
      where.add(
          windows.isEmpty()
              ? "1 = 0"
              : "("
                  + String.join(" OR ", java.util.Collections.nCopies(windows.size(), exists))
                  + ")");
    }
    String sql =
        "SELECT id, metric, labels FROM metric_series s"
            + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
    try (Connection c = connections.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (metricName != null) {
        ps.setString(i++, metricName);
      }
      for (Map.Entry<String, Long> w : windows) {
        ps.setString(i++, w.getKey());
        ps.setLong(i++, Math.subtractExact(from, w.getValue()));
        ps.setLong(i++, to);
      }
      List<StoredSeries> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StoredSeries(rs.getLong(1), rs.getString(2), labels(rs.getString(3))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read series from " + description + ": " + e, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement per 500 series ({@code series_id IN (...)}), read in primary-key order.
   */
  @Override
  public void scanRollups(
      Collection<Long> seriesIds,
      String resolution,
      long from,
      long to,
      Set<Windows.Field> fields,
      RollupVisitor visitor)
      throws StoreException {
    // Column positions of the fields asked for (0: not read), after series_id and window_start.
    int[] at = new int[Windows.Field.values().length];
    StringBuilder columns = new StringBuilder("series_id, window_start");
    int next = 3;
    for (Windows.Field f : Windows.Field.values()) {
      if (fields.contains(f)) {
        columns.append(", ").append(f.name().toLowerCase(java.util.Locale.ROOT));
        at[f.ordinal()] = next++;
      }
    }
    int increaseAt = at[Windows.Field.INCREASE.ordinal()];
    int resetsAt = at[Windows.Field.RESETS.ordinal()];
    List<Long> ids = new ArrayList<>(seriesIds);
    try (Connection c = connections.getConnection()) {
      for (int i = 0; i < ids.size(); i += IN_CHUNK) {
        List<Long> chunk = ids.subList(i, Math.min(ids.size(), i + IN_CHUNK));
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + columns
                    + " FROM rollups WHERE resolution = ? AND window_start BETWEEN ? AND ? AND"
                    + " series_id IN ("
                    + marks(chunk.size())
                    + ") ORDER BY series_id, window_start")) {
          ps.setString(1, resolution);
          ps.setLong(2, from);
          ps.setLong(3, to);
          for (int j = 0; j < chunk.size(); j++) {
            ps.setLong(4 + j, chunk.get(j));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              double increase = Double.NaN;
              long resets = 0;
              boolean counter = false;
              if (increaseAt > 0) {
                increase = rs.getDouble(increaseAt);
                counter = !rs.wasNull();
              }
              if (resetsAt > 0) {
                resets = rs.getLong(resetsAt);
                counter = increaseAt > 0 ? counter : !rs.wasNull();
              }
              visitor.window(
                  rs.getLong(1),
                  rs.getLong(2),
                  at[Windows.Field.COUNT.ordinal()] > 0
                      ? rs.getLong(at[Windows.Field.COUNT.ordinal()])
                      : 0,
                  field(rs, at[Windows.Field.SUM.ordinal()]),
                  field(rs, at[Windows.Field.MIN.ordinal()]),
                  field(rs, at[Windows.Field.MAX.ordinal()]),
                  field(rs, at[Windows.Field.FIRST.ordinal()]),
                  field(rs, at[Windows.Field.LAST.ordinal()]),
                  counter,
                  counter ? increase : 0,
                  counter ? resets : 0);
            }
          }
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read rollups from " + description + ": " + e, e);
    }
  }

  /** A double column that was read (NULL is NaN), or NaN when it was not ({@code i} 0). */
  private static double field(ResultSet rs, int i) throws SQLException {
    return i == 0 ? Double.NaN : nanIfNull(rs, i);
  }

  private static double nanIfNull(ResultSet rs, int i) throws SQLException {
    double v = rs.getDouble(i);
    return rs.wasNull() ? Double.NaN : v;
  }

  @Override
  public int deleteBefore(String resolution, long windowStartBefore) throws StoreException {
    try (Connection c = connections.getConnection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM rollups WHERE resolution = ? AND window_start < ?")) {
      ps.setString(1, resolution);
      ps.setLong(2, windowStartBefore);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot apply retention in " + description + ": " + e, e);
    }
  }

  @Override
  public boolean reachable() {
    try (Connection c = connections.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return description;
  }

  /** The stored id of a series key: the first 63 bits of its SHA-256. */
  public static long seriesId(String seriesKey) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(seriesKey.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getLong() >>> 1;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String marks(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
  }

  private static String json(Map<String, String> labels) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(labels));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> labels(String json) throws SQLException {
    try {
      return JSON.readValue(json, new TypeReference<TreeMap<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable labels " + json, e);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      LOG.debug("Rollback failed: {}", e.toString());
    }
  }
}

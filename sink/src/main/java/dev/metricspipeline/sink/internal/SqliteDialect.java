package dev.metricspipeline.sink.internal;

import com.zaxxer.hikari.HikariConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;

/**
 * SQLite: WAL with {@code synchronous=NORMAL}, writers serialized by {@code BEGIN IMMEDIATE},
 * {@code WITHOUT ROWID} rollups, labels as JSON text, NaN stored as NULL (SQLite has no NaN).
 */
final class SqliteDialect implements SqlDialect {

  @Override
  public String name() {
    return "SQLITE";
  }

  @Override
  public void configure(HikariConfig config, String jdbcUrl) {
    String file = jdbcUrl.substring("jdbc:sqlite:".length());
    int query = file.indexOf('?');
    if (query >= 0) {
      file = file.substring(0, query);
    }
    if (!file.isEmpty() && !file.startsWith(":memory:") && !file.startsWith("file:")) {
      Path parent = Path.of(file).toAbsolutePath().getParent();
      try {
        Files.createDirectories(parent);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the directory of " + file, e);
      }
    }
    config.addDataSourceProperty("journal_mode", "WAL");
    config.addDataSourceProperty("synchronous", "NORMAL");
    config.addDataSourceProperty("busy_timeout", "30000");
    config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    config.setMaximumPoolSize(4);
  }

  @Override
  public List<String> ddl() {
    return List.of(
        "CREATE TABLE IF NOT EXISTS metric_series (id INTEGER PRIMARY KEY, series_key TEXT NOT"
            + " NULL UNIQUE, metric TEXT NOT NULL, labels TEXT NOT NULL, type TEXT)",
        "CREATE INDEX IF NOT EXISTS metric_series_metric ON metric_series (metric)",
        "CREATE TABLE IF NOT EXISTS rollups (series_id INTEGER NOT NULL, resolution TEXT NOT"
            + " NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, count INTEGER"
            + " NOT NULL, sum REAL, min REAL, max REAL, first REAL, last REAL, increase REAL,"
            + " resets INTEGER, PRIMARY KEY (series_id, resolution, window_start)) WITHOUT"
            + " ROWID",
        "CREATE INDEX IF NOT EXISTS rollups_resolution_window ON rollups (resolution,"
            + " window_start)",
        "CREATE TABLE IF NOT EXISTS sink_offsets (topic TEXT NOT NULL, kafka_partition INTEGER"
            + " NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, kafka_partition))");
  }

  @Override
  public void lockForMigration(Statement s) {
    // BEGIN IMMEDIATE (transaction_mode) already holds the database's write lock.
  }

  @Override
  public boolean locksOffsetRows() {
    return false;
  }

  @Override
  public String forUpdate() {
    return "";
  }

  @Override
  public String jsonParameter() {
    return "?";
  }

  @Override
  public void setDouble(PreparedStatement ps, int index, double value) throws SQLException {
    if (Double.isNaN(value)) {
      ps.setNull(index, Types.DOUBLE);
    } else {
      ps.setDouble(index, value);
    }
  }
}

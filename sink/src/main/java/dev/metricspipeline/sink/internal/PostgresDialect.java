package dev.metricspipeline.sink.internal;

import com.zaxxer.hikari.HikariConfig;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * PostgreSQL: labels as {@code jsonb}, a generated {@code time timestamptz} column for Grafana's
 * {@code $__timeFilter}, offset rows locked {@code FOR UPDATE}, migrations serialized by an
 * advisory lock, batched inserts rewritten by the driver.
 */
final class PostgresDialect implements SqlDialect {

  @Override
  public String name() {
    return "POSTGRESQL";
  }

  @Override
  public void configure(HikariConfig config, String jdbcUrl) {
    config.setMaximumPoolSize(8);
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
  }

  @Override
  public List<String> ddl() {
    return List.of(
        "CREATE TABLE IF NOT EXISTS metric_series (id BIGINT PRIMARY KEY, series_key TEXT NOT NULL"
            + " UNIQUE, metric TEXT NOT NULL, labels JSONB NOT NULL, type TEXT)",
        "CREATE INDEX IF NOT EXISTS metric_series_metric ON metric_series (metric)",
        "CREATE TABLE IF NOT EXISTS rollups (series_id BIGINT NOT NULL, resolution TEXT NOT NULL,"
            + " window_start BIGINT NOT NULL, window_end BIGINT NOT NULL, time TIMESTAMPTZ"
            + " GENERATED ALWAYS AS (to_timestamp(window_start / 1000.0)) STORED, count BIGINT NOT"
            + " NULL, sum DOUBLE PRECISION, min DOUBLE PRECISION, max DOUBLE PRECISION, first"
            + " DOUBLE PRECISION, last DOUBLE PRECISION, increase DOUBLE PRECISION, resets"
            + " BIGINT, PRIMARY KEY (series_id, resolution, window_start))",
        "CREATE INDEX IF NOT EXISTS rollups_resolution_window ON rollups (resolution,"
            + " window_start)",
        "CREATE TABLE IF NOT EXISTS sink_offsets (topic TEXT NOT NULL, kafka_partition INTEGER NOT"
            + " NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (topic, kafka_partition))");
  }

  @Override
  public void lockForMigration(Statement s) throws SQLException {
    s.execute("SELECT pg_advisory_xact_lock(7301953)"); // one migrating instance at a time
  }

  @Override
  public boolean locksOffsetRows() {
    return true;
  }

  @Override
  public String forUpdate() {
    return " FOR UPDATE";
  }

  @Override
  public String jsonParameter() {
    return "CAST(? AS jsonb)";
  }

  @Override
  public void setDouble(PreparedStatement ps, int index, double value) throws SQLException {
    ps.setDouble(index, value);
  }
}

package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteRollupStoreTest extends RollupStoreContract {

  @TempDir Path dir;

  @Override
  JdbcRollupStore open() {
    return JdbcRollupStore.open("jdbc:sqlite:" + dir.resolve("data/metrics.db"), connections());
  }

  @Test
  void theFileIsInWalModeAndItsDirectoryIsCreated() throws Exception {
    assertThat(Files.exists(dir.resolve("data/metrics.db"))).isTrue();
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/metrics.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
  }

  @Test
  void aVersionOneStoreGainsSeriesTypesOnMigration() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("v1.db");
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      // The version 1 layout, as an earlier sink created it.
      s.execute("CREATE TABLE sink_schema (version INTEGER NOT NULL)");
      s.execute("INSERT INTO sink_schema (version) VALUES (1)");
      s.execute(
          "CREATE TABLE metric_series (id INTEGER PRIMARY KEY, series_key TEXT NOT NULL UNIQUE,"
              + " metric TEXT NOT NULL, labels TEXT NOT NULL)");
      s.execute(
          "CREATE TABLE rollups (series_id INTEGER NOT NULL, resolution TEXT NOT NULL,"
              + " window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, count INTEGER NOT"
              + " NULL, sum REAL, min REAL, max REAL, first REAL, last REAL, increase REAL, resets"
              + " INTEGER, PRIMARY KEY (series_id, resolution, window_start)) WITHOUT ROWID");
      s.execute(
          "CREATE TABLE sink_offsets (topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL,"
              + " next_offset INTEGER NOT NULL, PRIMARY KEY (topic, kafka_partition))");
      s.execute("INSERT INTO metric_series VALUES (1, 'old{}', 'old', '{}')");
    }
    try (JdbcRollupStore old = JdbcRollupStore.open(url)) {
      old.migrate();
      old.migrate(); // idempotent
      assertThat(old.metadata(null)).as("an old series has no type until written again").isEmpty();
      old.write(List.of(at(P0, 0, rollup("temperature", java.util.Map.of("room", "a"), T0, 20))));
      assertThat(old.metadata(null)).containsExactly(new MetricMetadata("temperature", "gauge"));
      assertThat(old.series("old")).hasSize(1);
    }
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT max(version) FROM sink_schema")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(2);
    }
  }
}

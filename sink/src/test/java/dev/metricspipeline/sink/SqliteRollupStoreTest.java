package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
}

package dev.metricspipeline.sink;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/**
 * The contract on a real PostgreSQL: {@code METRICS_PIPELINE_TEST_POSTGRES} (a JDBC URL), else
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}. Each test gets a schema of its own.
 * Skipped when no server answers, except in CI ({@code CI=true}), where that fails.
 */
class PostgresRollupStoreTest extends RollupStoreContract {

  static final String URL =
      System.getenv()
          .getOrDefault(
              "METRICS_PIPELINE_TEST_POSTGRES",
              "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  private String schema;

  @Override
  JdbcRollupStore open() throws SQLException {
    schema = "contract_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new SQLException("PostgreSQL is required in CI at " + URL + ": " + e.getMessage(), e);
      }
      assumeTrue(false, "no PostgreSQL at " + URL + ": " + e.getMessage());
    }
    return JdbcRollupStore.open(
        URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema, connections());
  }

  @AfterEach
  void dropSchema() throws SQLException {
    if (schema != null) {
      try (Connection c = DriverManager.getConnection(URL);
          Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}

package dev.metricspipeline.sink.internal;

import com.zaxxer.hikari.HikariConfig;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What differs between the two databases the rollup store runs on; everything else ({@code INSERT …
 * ON CONFLICT … DO UPDATE}, the queries) is common SQL in {@code JdbcRollupStore}.
 */
public interface SqlDialect {

  /** The dialect of a JDBC URL, or an error naming the ones supported. */
  static SqlDialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return new SqliteDialect();
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return new PostgresDialect();
    }
    throw new IllegalArgumentException(
        "unsupported store " + jdbcUrl + ": use jdbc:sqlite:FILE or jdbc:postgresql://...");
  }

  /** {@code SQLITE} or {@code POSTGRESQL}. */
  String name();

  /** Pool and driver settings for {@code jdbcUrl}, and anything the URL needs to exist first. */
  void configure(HikariConfig config, String jdbcUrl);

  /** The current schema's tables and indexes, each {@code IF NOT EXISTS}. */
  List<String> ddl();

  /** Holds off other instances migrating at the same time (inside the migration transaction). */
  void lockForMigration(Statement s) throws SQLException;

  /**
   * Whether offset rows must exist before a write locks them ({@code SELECT … FOR UPDATE} locks
   * only rows that exist; SQLite's {@code BEGIN IMMEDIATE} locks the whole database).
   */
  boolean locksOffsetRows();

  /** Appended to the offsets {@code SELECT} inside a write. */
  String forUpdate();

  /** The placeholder for the labels JSON parameter. */
  String jsonParameter();

  /** Binds a double, NaN included. */
  void setDouble(PreparedStatement ps, int index, double value) throws SQLException;
}

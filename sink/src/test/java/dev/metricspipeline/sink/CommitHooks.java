package dev.metricspipeline.sink;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * A test decorator for {@link JdbcRollupStore}'s connections: runs a hook inside each transaction
 * that wrote rollups, after the rows and offsets are written and just before its commit. With it a
 * test fails a transaction there, or halts the process there as SIGKILL would.
 */
final class CommitHooks {

  private CommitHooks() {}

  /** Decorates a pool so that {@code hook.get()} runs before each commit of a rollup write. */
  static UnaryOperator<DataSource> beforeRollupCommit(Supplier<Runnable> hook) {
    return pool ->
        proxy(
            DataSource.class,
            (method, args) -> {
              Object result = invoke(pool, method, args);
              return result instanceof Connection c ? connection(c, hook) : result;
            });
  }

  private static Connection connection(Connection connection, Supplier<Runnable> hook) {
    boolean[] wroteRollups = {false};
    return proxy(
        Connection.class,
        (method, args) -> {
          if (method.getName().equals("prepareStatement")
              && args[0] instanceof String sql
              && sql.startsWith("INSERT INTO rollups")) {
            wroteRollups[0] = true;
          } else if (method.getName().equals("commit") && wroteRollups[0]) {
            wroteRollups[0] = false;
            hook.get().run();
          } else if (method.getName().equals("rollback")) {
            wroteRollups[0] = false;
          }
          return invoke(connection, method, args);
        });
  }

  private interface Call {
    Object apply(Method method, Object[] args) throws Throwable;
  }

  private static <T> T proxy(Class<T> type, Call call) {
    return type.cast(
        Proxy.newProxyInstance(
            CommitHooks.class.getClassLoader(),
            new Class<?>[] {type},
            (self, method, args) -> call.apply(method, args)));
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}

package dev.metricspipeline.sink;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sink in a JVM of its own, for {@link RollupSinkCrashIT}: {@code bootstrap registry topic
 * jdbcUrl group crashPoint crashAtBatch}. {@code crashPoint} is {@code none}, {@code
 * before-db-commit} (inside the write transaction, after rows and offsets are written) or {@code
 * after-db-commit} (after the database commit, before the Kafka commit); there the process halts at
 * once, as SIGKILL would stop it: no shutdown hook, no close.
 */
public final class SinkProcessMain {

  private SinkProcessMain() {}

  public static void main(String[] args) throws Exception {
    String crashPoint = args[5];
    int crashAt = Integer.parseInt(args[6]);
    AtomicInteger batches = new AtomicInteger();
    JdbcRollupStore jdbc =
        JdbcRollupStore.open(
            args[3],
            CommitHooks.beforeRollupCommit(
                () ->
                    crashPoint.equals("before-db-commit")
                        ? () -> halt(batches, crashAt, "before")
                        : () -> {}));
    RollupStore store =
        crashPoint.equals("after-db-commit") ? afterWrite(jdbc, batches, crashAt) : jdbc;
    SinkConfig config =
        SinkConfig.defaults(
                new KafkaConnection(args[0], Map.of("session.timeout.ms", "6000")),
                RegistryClientConfig.of(args[1]))
            .withListen("127.0.0.1", 0)
            .withGroup(args[4])
            .withMaxPollRecords(100);
    config = config.withTopics(List.of(args[2]));
    RollupSink.start(config, store, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    Thread.currentThread().join();
  }

  private static void halt(AtomicInteger batches, int crashAt, String when) {
    if (batches.incrementAndGet() == crashAt) {
      System.out.println("halting " + when + " the database commit of batch " + crashAt);
      Runtime.getRuntime().halt(137);
    }
  }

  /** The store, halting after the database commit of batch {@code crashAt} returned. */
  private static RollupStore afterWrite(RollupStore store, AtomicInteger batches, int crashAt) {
    return (RollupStore)
        java.lang.reflect.Proxy.newProxyInstance(
            RollupStore.class.getClassLoader(),
            new Class<?>[] {RollupStore.class},
            (self, method, a) -> {
              Object result;
              try {
                result = method.invoke(store, a);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
              if (method.getName().equals("write")) {
                halt(batches, crashAt, "after");
              }
              return result;
            });
  }
}

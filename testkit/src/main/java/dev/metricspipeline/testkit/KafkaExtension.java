package dev.metricspipeline.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a {@link KafkaCluster} parameter. The cluster is started once per test JVM (kept in
 * the root extension context) and closed when the JVM's tests are done.
 *
 * <pre>{@code
 * @ExtendWith(KafkaExtension.class)
 * class SomethingIT {
 *   @Test
 *   void works(KafkaCluster kafka) { ... kafka.bootstrapServers() ... }
 * }
 * }</pre>
 */
public final class KafkaExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(KafkaCluster.class, k -> KafkaCluster.start(), KafkaCluster.class);
  }
}

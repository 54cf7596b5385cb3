package dev.metricspipeline.push.internal;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The push groups held in memory, fed by {@link GroupTopic} (the compacted group topic) and by this
 * instance's own commits. A group's writes are ordered through {@link #serialized}, and a state is
 * applied only if its version is newer than what is held, so replaying our own writes from the
 * topic never moves a group back.
 *
 * <p>Trap: two instances pushing to the same group at the same moment may both compute their stale
 * markers from the same previous state. Each push is still complete and durable; only a series that
 * left the group in the losing push may miss its stale marker. Send one group's pushes to one
 * instance (the Pushgateway has the same single-writer model).
 */
public final class GroupStore {

  private final Map<String, GroupState> groups = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<?>> tails = new ConcurrentHashMap<>();

  /** Applies a state if it is newer than the one held. */
  public void apply(String key, GroupState state) {
    groups.merge(
        key, state, (held, incoming) -> incoming.version() > held.version() ? incoming : held);
  }

  /** Forgets a group (a tombstone in the topic). */
  public void remove(String key) {
    groups.remove(key);
  }

  /** The live (not deleted) group, if any. */
  public Optional<GroupState> get(String key) {
    return Optional.ofNullable(groups.get(key)).filter(g -> !g.deleted());
  }

  /** The last version written for a key, deleted or not; 0 if never. */
  public long version(String key) {
    GroupState state = groups.get(key);
    return state == null ? 0 : state.version();
  }

  /** The live groups. */
  public Collection<GroupState> all() {
    return groups.values().stream().filter(g -> !g.deleted()).toList();
  }

  /** Runs {@code op} after every earlier operation on the same group has finished. */
  public <T> CompletableFuture<T> serialized(String key, Supplier<CompletableFuture<T>> op) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<?> previous = tails.put(key, result);
    CompletableFuture<?> before =
        previous == null ? CompletableFuture.completedFuture(null) : previous;
    before
        .handle((r, e) -> null)
        .thenCompose(
            x -> {
              try {
                return op.get();
              } catch (RuntimeException e) {
                return CompletableFuture.<T>failedFuture(e);
              }
            })
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                result.completeExceptionally(e);
              } else {
                result.complete(r);
              }
            });
    result.whenComplete((r, e) -> tails.remove(key, result));
    return result;
  }
}

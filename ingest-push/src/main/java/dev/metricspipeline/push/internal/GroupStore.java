package dev.metricspipeline.push.internal;

import dev.metricspipeline.push.PushGatewayConfig;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The push groups held in memory, fed by {@link TopicMirror#groups} (the compacted group topic) and
 * by this instance's own commits. A group's writes are ordered through {@link #serialized}, and a
 * state is applied only if its version is newer than what is held, so replaying our own writes from
 * the topic never moves a group back.
 *
 * <p>Trap: two instances pushing to the same group at the same moment may both compute their stale
 * markers from the same previous state. Each push is still complete and durable; only a series that
 * left the group in the losing push may miss its stale marker. Send one group's pushes to one
 * instance (the Pushgateway has the same single-writer model).
 */
public final class GroupStore {

  private final Map<String, GroupState> groups = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<?>> tails = new ConcurrentHashMap<>();

  // family -> family type -> keys of the live groups holding that family with that type: the
  // consistency check of a push looks up its own families here instead of walking every series of
  // every group (that walk was 41% of the CPU under 200 groups of 1,000 series). Guarded by this.
  private final Map<String, Map<String, Set<String>>> familyTypes = new HashMap<>();

  /** A family that another group holds with another type. */
  public record Conflict(String family, String pushedType, String otherGroup, String otherType) {}

  // key -> family -> family types of the held live state: a push that keeps its families (the
  // usual PUT) leaves familyTypes as it is, instead of unindexing and reindexing every series.
  // Guarded by this.
  private final Map<String, Map<String, Set<String>>> heldFamilies = new HashMap<>();

  private final Map<String, PushMemo> memos = new ConcurrentHashMap<>();
  private final int memoSeries;
  private final AtomicInteger memoized = new AtomicInteger();

  /** With memos for {@link PushGatewayConfig#DEFAULT_MEMO_SERIES} series. */
  public GroupStore() {
    this(PushGatewayConfig.DEFAULT_MEMO_SERIES);
  }

  /**
   * @param memoSeries how many series the groups' memos ({@link PushMemo}) may hold together; 0 for
   *     no memos. Groups get a memo first come, first served, and keep it until they are deleted; a
   *     group without one is pushed the same way, with about twice the work
   */
  public GroupStore(int memoSeries) {
    this.memoSeries = memoSeries;
  }

  /**
   * The memo of a group's series on this instance, made if the memos hold fewer than their bound;
   * null if it has none. Only used from inside {@link #serialized}.
   */
  PushMemo memo(String key) {
    PushMemo memo = memos.get(key);
    if (memo == null && memoized.get() < memoSeries) {
      memo = memos.computeIfAbsent(key, k -> new PushMemo(memoized));
    }
    return memo;
  }

  /** The series the groups' memos hold together. */
  public int memoized() {
    return memoized.get();
  }

  /** Applies a state if it is newer than the one held. */
  public synchronized void apply(String key, GroupState state) {
    GroupState held = groups.get(key);
    if (held != null && state.version() <= held.version()) {
      return;
    }
    groups.put(key, state);
    reindex(key, state);
    if (state.deleted()) {
      forgetMemo(key);
    }
  }

  private void forgetMemo(String key) {
    PushMemo memo = memos.remove(key);
    if (memo != null) {
      memo.clear();
    }
  }

  /** Forgets a group (a tombstone in the topic). */
  public synchronized void remove(String key) {
    groups.remove(key);
    reindex(key, null);
    forgetMemo(key);
  }

  /**
   * The first family of {@code pushed} (family to family type) that a live group other than {@code
   * key} holds with another type, if any.
   */
  public synchronized Optional<Conflict> conflict(String key, Map<String, String> pushed) {
    for (Map.Entry<String, String> family : pushed.entrySet()) {
      Map<String, Set<String>> types = familyTypes.get(family.getKey());
      if (types == null) {
        continue;
      }
      for (Map.Entry<String, Set<String>> type : types.entrySet()) {
        if (type.getKey().equals(family.getValue())) {
          continue;
        }
        for (String other : type.getValue()) {
          if (!other.equals(key)) {
            return Optional.of(
                new Conflict(family.getKey(), family.getValue(), other, type.getKey()));
          }
        }
      }
    }
    return Optional.empty();
  }

  private void reindex(String key, GroupState state) {
    Map<String, Set<String>> before = heldFamilies.remove(key);
    Map<String, Set<String>> after = new HashMap<>();
    if (state != null && !state.deleted()) {
      for (GroupState.Series series : state.series().values()) {
        after
            .computeIfAbsent(series.family(), f -> new HashSet<>(2))
            .add(GroupState.familyType(series.type()));
      }
    }
    if (before != null) {
      before.forEach(
          (family, types) -> {
            for (String type : types) {
              if (!after.getOrDefault(family, Set.of()).contains(type)) {
                unindex(key, family, type);
              }
            }
          });
    }
    after.forEach(
        (family, types) -> {
          for (String type : types) {
            if (before == null || !before.getOrDefault(family, Set.of()).contains(type)) {
              familyTypes
                  .computeIfAbsent(family, f -> new HashMap<>())
                  .computeIfAbsent(type, t -> new HashSet<>())
                  .add(key);
            }
          }
        });
    if (!after.isEmpty()) {
      heldFamilies.put(key, after);
    }
  }

  private void unindex(String key, String family, String type) {
    Map<String, Set<String>> types = familyTypes.get(family);
    Set<String> keys = types == null ? null : types.get(type);
    if (keys != null) {
      keys.remove(key);
      if (keys.isEmpty()) {
        types.remove(type);
      }
      if (types.isEmpty()) {
        familyTypes.remove(family);
      }
    }
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

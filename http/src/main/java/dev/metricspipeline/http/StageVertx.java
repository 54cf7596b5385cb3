package dev.metricspipeline.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vert.x a stage runs on: its own (a stage started alone), closed with the stage, or the one
 * {@code run} shares among all its stages, which the stage leaves open and only undoes what it made
 * on it (servers, timers, clients), registered with {@link #onClose}.
 */
public final class StageVertx {

  private static final Logger LOG = LoggerFactory.getLogger(StageVertx.class);

  private final Vertx vertx;
  private final boolean owned;
  private final List<Supplier<Future<?>>> closers = new ArrayList<>();

  private StageVertx(Vertx vertx, boolean owned) {
    this.vertx = vertx;
    this.owned = owned;
  }

  /** The shared instance when given, else a new one of the stage's own. */
  public static StageVertx of(Vertx shared) {
    return shared == null ? new StageVertx(Vertx.vertx(), true) : new StageVertx(shared, false);
  }

  public Vertx get() {
    return vertx;
  }

  /** Something to undo on close when the Vert.x is shared (an owned one is closed whole). */
  public synchronized void onClose(Supplier<Future<?>> closer) {
    closers.add(closer);
  }

  /** Cancels a periodic timer on close. */
  public void cancelOnClose(long timerId) {
    onClose(
        () -> {
          vertx.cancelTimer(timerId);
          return Future.succeededFuture();
        });
  }

  /** Closes what the stage made, or the whole Vert.x when it is the stage's own. */
  public void close() {
    List<Supplier<Future<?>>> todo;
    synchronized (this) {
      todo = new ArrayList<>(closers);
      closers.clear();
    }
    try {
      if (owned) {
        vertx.close().await(10, TimeUnit.SECONDS);
        return;
      }
      for (int i = todo.size() - 1; i >= 0; i--) {
        todo.get(i).get().await(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("Stopping a stage's servers did not finish cleanly: {}", e.toString());
    }
  }
}

package dev.metricspipeline.embedded.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subset of Confluent's Schema Registry REST API v1 that Avro clients use: registering and
 * looking up schemas, reading subjects and versions, compatibility configuration and checks.
 * Deleting subjects and schema references are not supported (405 and 42201).
 */
public final class RegistryRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final long MAX_BODY_BYTES = 8L * 1024 * 1024;

  private final SchemaStore store;

  public RegistryRoutes(SchemaStore store) {
    this.store = store;
  }

  /** The router serving the API. */
  public Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.get("/").handler(ctx -> ok(ctx, JSON.createObjectNode()));
    router.get("/schemas/types").handler(ctx -> ok(ctx, JSON.valueToTree(List.of("AVRO"))));
    router
        .get("/subjects")
        .blockingHandler(guard(ctx -> ok(ctx, JSON.valueToTree(store.subjects()))));
    router.get("/subjects/:subject/versions").blockingHandler(guard(this::versions));
    router.get("/subjects/:subject/versions/:version").blockingHandler(guard(this::version));
    router
        .get("/subjects/:subject/versions/:version/schema")
        .blockingHandler(guard(this::versionSchema));
    router.post("/subjects/:subject/versions").blockingHandler(guard(this::register));
    router.post("/subjects/:subject").blockingHandler(guard(this::lookup));
    router.get("/schemas/ids/:id").blockingHandler(guard(this::schemaById));
    router.get("/schemas/ids/:id/subjects").blockingHandler(guard(this::subjectsOfId));
    router.get("/config").blockingHandler(guard(ctx -> level(ctx, null)));
    router.put("/config").blockingHandler(guard(ctx -> setLevel(ctx, null)));
    router.get("/config/:subject").blockingHandler(guard(ctx -> level(ctx, subject(ctx))));
    router.put("/config/:subject").blockingHandler(guard(ctx -> setLevel(ctx, subject(ctx))));
    router
        .post("/compatibility/subjects/:subject/versions/:version")
        .blockingHandler(guard(this::checkCompatibility));
    router
        .delete("/*")
        .handler(
            ctx ->
                error(
                    ctx,
                    new RegistryError(
                        405, 405, "Deleting is not supported by the embedded registry.")));
    router
        .route()
        .last()
        .handler(ctx -> error(ctx, new RegistryError(404, 404, "HTTP 404 Not Found")));
    return router;
  }

  private static Handler<RoutingContext> guard(Handler<RoutingContext> handler) {
    return ctx -> {
      try {
        handler.handle(ctx);
      } catch (RegistryError e) {
        error(ctx, e);
      } catch (RuntimeException e) {
        LOG.error("Registry request {} {} failed", ctx.request().method(), ctx.request().path(), e);
        error(ctx, new RegistryError(500, 50001, "Error in the backend data store: " + e));
      }
    };
  }

  private static String subject(RoutingContext ctx) {
    return ctx.pathParam("subject");
  }

  private void versions(RoutingContext ctx) {
    String subject = subject(ctx);
    List<Integer> versions =
        store.versions(subject).orElseThrow(() -> RegistryError.subjectNotFound(subject));
    ok(ctx, JSON.valueToTree(versions));
  }

  private SchemaStore.Registered registeredVersion(RoutingContext ctx) {
    String subject = subject(ctx);
    int version = parseVersion(ctx.pathParam("version"));
    if (store.versions(subject).isEmpty()) {
      throw RegistryError.subjectNotFound(subject);
    }
    return store
        .version(subject, version)
        .orElseThrow(() -> RegistryError.versionNotFound(subject, ctx.pathParam("version")));
  }

  private void version(RoutingContext ctx) {
    ok(ctx, describe(registeredVersion(ctx)));
  }

  private void versionSchema(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", CONTENT_TYPE)
        .end(registeredVersion(ctx).schema().toString());
  }

  private void register(RoutingContext ctx) {
    Schema schema = schemaFromBody(ctx);
    SchemaStore.Registered registered = store.register(subject(ctx), schema);
    ok(ctx, JSON.createObjectNode().put("id", registered.id()));
  }

  private void lookup(RoutingContext ctx) {
    String subject = subject(ctx);
    Schema schema = schemaFromBody(ctx);
    if (store.versions(subject).isEmpty()) {
      throw RegistryError.subjectNotFound(subject);
    }
    SchemaStore.Registered registered =
        store
            .lookup(subject, schema)
            .orElseThrow(() -> RegistryError.schemaNotFound("under subject '" + subject + "'"));
    ok(ctx, describe(registered));
  }

  private void schemaById(RoutingContext ctx) {
    int id = parseId(ctx.pathParam("id"));
    Schema schema =
        store.schemaById(id).orElseThrow(() -> RegistryError.schemaNotFound(Integer.toString(id)));
    ok(ctx, JSON.createObjectNode().put("schema", schema.toString()));
  }

  private void subjectsOfId(RoutingContext ctx) {
    int id = parseId(ctx.pathParam("id"));
    if (store.schemaById(id).isEmpty()) {
      throw RegistryError.schemaNotFound(Integer.toString(id));
    }
    ok(ctx, JSON.valueToTree(store.subjectsOf(id)));
  }

  private void level(RoutingContext ctx, String subject) {
    boolean defaultToGlobal = Boolean.parseBoolean(ctx.queryParams().get("defaultToGlobal"));
    CompatibilityLevel level;
    if (subject == null || defaultToGlobal) {
      level = store.compatibility(subject);
    } else {
      level =
          store
              .subjectCompatibility(subject)
              .orElseThrow(
                  () ->
                      new RegistryError(
                          404,
                          40408,
                          "Subject '"
                              + subject
                              + "' does not have subject-level compatibility configured"));
    }
    ok(ctx, JSON.createObjectNode().put("compatibilityLevel", level.name()));
  }

  private void setLevel(RoutingContext ctx, String subject) {
    JsonNode body = body(ctx);
    String requested = body.path("compatibility").asText("");
    CompatibilityLevel level;
    try {
      level = CompatibilityLevel.valueOf(requested.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw RegistryError.invalidCompatibility(requested);
    }
    store.setCompatibility(subject, level);
    ok(ctx, JSON.createObjectNode().put("compatibility", level.name()));
  }

  private void checkCompatibility(RoutingContext ctx) {
    String subject = subject(ctx);
    Schema candidate = schemaFromBody(ctx);
    List<Integer> versions = store.versions(subject).orElse(List.of());
    ObjectNode answer = JSON.createObjectNode();
    if (versions.isEmpty()) {
      answer.put("is_compatible", true);
      ok(ctx, answer);
      return;
    }
    SchemaStore.Registered against = registeredVersion(ctx);
    String problem =
        store
            .compatibility(subject)
            .check(candidate, List.of(against.schema()), List.of(against.version()));
    answer.put("is_compatible", problem == null);
    if (problem != null && Boolean.parseBoolean(ctx.queryParams().get("verbose"))) {
      answer.putArray("messages").add(problem);
    }
    ok(ctx, answer);
  }

  private static int parseVersion(String version) {
    if ("latest".equals(version)) {
      return -1;
    }
    try {
      int v = Integer.parseInt(version);
      if (v < 1) {
        throw RegistryError.invalidVersion(version);
      }
      return v;
    } catch (NumberFormatException e) {
      throw RegistryError.invalidVersion(version);
    }
  }

  private static int parseId(String id) {
    try {
      return Integer.parseInt(id);
    } catch (NumberFormatException e) {
      throw RegistryError.schemaNotFound(id);
    }
  }

  private static JsonNode body(RoutingContext ctx) {
    try {
      String text = ctx.body().asString();
      JsonNode node = text == null ? null : JSON.readTree(text);
      if (node == null || !node.isObject()) {
        throw new RegistryError(422, 422, "Request body must be a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new RegistryError(400, 400, "Malformed JSON body: " + e.getOriginalMessage());
    }
  }

  private static Schema schemaFromBody(RoutingContext ctx) {
    JsonNode body = body(ctx);
    String type = body.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw RegistryError.invalidSchema("schemaType " + type + " is not supported; only AVRO");
    }
    if (body.has("references") && body.get("references").size() > 0) {
      throw RegistryError.invalidSchema("schema references are not supported");
    }
    JsonNode schema = body.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw RegistryError.invalidSchema("the body has no \"schema\" string");
    }
    return SchemaStore.parse(schema.asText());
  }

  private static ObjectNode describe(SchemaStore.Registered r) {
    return JSON.createObjectNode()
        .put("subject", r.subject())
        .put("version", r.version())
        .put("id", r.id())
        .put("schema", r.schema().toString());
  }

  private static void ok(RoutingContext ctx, JsonNode body) {
    ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(body.toString());
  }

  private static void error(RoutingContext ctx, RegistryError e) {
    ObjectNode body =
        JSON.createObjectNode().put("error_code", e.errorCode()).put("message", e.getMessage());
    ctx.response()
        .setStatusCode(e.httpStatus())
        .putHeader("Content-Type", CONTENT_TYPE)
        .end(body.toString());
  }
}

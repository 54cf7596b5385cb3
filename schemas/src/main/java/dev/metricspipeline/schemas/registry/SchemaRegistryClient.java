package dev.metricspipeline.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client for Confluent's Schema Registry REST API v1, also served by Apicurio (ccompat),
 * Karapace, Redpanda and our embedded registry.
 *
 * <p>Schemas by id and ids by (subject, schema) are cached for the life of the client: both are
 * immutable in the registry. Compatibility and version lookups are not cached. Thread-safe.
 *
 * <p>Errors become typed {@link SchemaRegistryException}s carrying the registry's message. When
 * several URLs are configured, the next one is tried only if a registry could not be reached; an
 * answer, even an error, is final.
 */
public final class SchemaRegistryClient implements SchemaRegistry {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final RegistryClientConfig config;
  private final HttpClient http;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

  public SchemaRegistryClient(RegistryClientConfig config) {
    this.config = config;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(config.timeout());
    config.sslContext().ifPresent(builder::sslContext);
    this.http = builder.build();
  }

  /** The configuration this client was built with. */
  public RegistryClientConfig config() {
    return config;
  }

  /**
   * Registers a schema under a subject (or finds it there) and returns its global id.
   *
   * @throws SchemaRegistryException.IncompatibleSchemaException if the subject's compatibility
   *     level refuses it
   */
  @Override
  public int register(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    JsonNode answer =
        send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
    int id = answer.path("id").asInt();
    idsBySubjectSchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  /**
   * The id of a schema already registered under a subject, without registering it.
   *
   * @throws SchemaRegistryException.SubjectNotFoundException if the subject has no versions
   * @throws SchemaRegistryException.SchemaNotFoundException if this schema is not one of them
   */
  @Override
  public int idOf(String subject, Schema schema) {
    return lookup(subject, schema).id();
  }

  /** The registration of a schema under a subject: its version and id. */
  public Registration lookup(String subject, Schema schema) {
    JsonNode answer = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
    Registration registration = registration(answer);
    idsBySubjectSchema.put(new SubjectSchema(subject, schema), registration.id());
    return registration;
  }

  /**
   * The schema with a global id.
   *
   * @throws SchemaRegistryException.SchemaNotFoundException if there is none
   */
  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send("GET", "/schemas/ids/" + id, null);
    Schema schema = new Schema.Parser().parse(answer.path("schema").asText());
    schemasById.put(id, schema);
    return schema;
  }

  /** The latest version registered under a subject. */
  public Registration latest(String subject) {
    return registration(send("GET", "/subjects/" + encode(subject) + "/versions/latest", null));
  }

  /** All subjects. */
  public List<String> subjects() {
    JsonNode answer = send("GET", "/subjects", null);
    List<String> out = new ArrayList<>();
    answer.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The version numbers of a subject. */
  public List<Integer> versions(String subject) {
    JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions", null);
    List<Integer> out = new ArrayList<>();
    answer.forEach(n -> out.add(n.asInt()));
    return out;
  }

  /** The global compatibility level. */
  public CompatibilityLevel compatibility() {
    return CompatibilityLevel.valueOf(
        send("GET", "/config", null).path("compatibilityLevel").asText());
  }

  /** The subject's compatibility level, or the global one when the subject has none. */
  public CompatibilityLevel compatibility(String subject) {
    JsonNode answer = send("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null);
    return CompatibilityLevel.valueOf(answer.path("compatibilityLevel").asText());
  }

  /** Sets the global compatibility level. */
  public void setCompatibility(CompatibilityLevel level) {
    send("PUT", "/config", JSON.createObjectNode().put("compatibility", level.name()));
  }

  /** Sets a subject's compatibility level. */
  public void setCompatibility(String subject, CompatibilityLevel level) {
    send(
        "PUT",
        "/config/" + encode(subject),
        JSON.createObjectNode().put("compatibility", level.name()));
  }

  /** Whether the schema could be registered under the subject now (against its latest version). */
  public boolean isCompatible(String subject, Schema schema) {
    JsonNode answer =
        send(
            "POST",
            "/compatibility/subjects/" + encode(subject) + "/versions/latest",
            schemaBody(schema));
    return answer.path("is_compatible").asBoolean(false);
  }

  private static ObjectNode schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString());
  }

  private static Registration registration(JsonNode answer) {
    return new Registration(
        answer.path("subject").asText(),
        answer.path("version").asInt(),
        answer.path("id").asInt(),
        new Schema.Parser().parse(answer.path("schema").asText()));
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, JsonNode body) {
    SchemaRegistryException unreachable = null;
    for (URI base : config.urls()) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(config.timeout())
              .header("Accept", CONTENT_TYPE + ", application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(
                          body.toString(), StandardCharsets.UTF_8));
      if (body != null) {
        request.header("Content-Type", CONTENT_TYPE);
      }
      config
          .basicAuthUserInfo()
          .ifPresent(
              info ->
                  request.header(
                      "Authorization",
                      "Basic "
                          + Base64.getEncoder()
                              .encodeToString(info.getBytes(StandardCharsets.UTF_8))));
      HttpResponse<String> response;
      try {
        response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (ConnectException | HttpTimeoutException e) {
        unreachable =
            new SchemaRegistryException.RegistryUnavailableException(
                0,
                0,
                "Schema Registry at " + base + " did not answer " + method + " " + path + ": " + e,
                e);
        continue;
      } catch (IOException e) {
        unreachable =
            new SchemaRegistryException.RegistryUnavailableException(
                0,
                0,
                "Schema Registry at " + base + " failed on " + method + " " + path + ": " + e,
                e);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException.RegistryUnavailableException(
            0, 0, "interrupted while calling the Schema Registry", e);
      }
      return answer(method, path, response);
    }
    throw unreachable;
  }

  private static JsonNode answer(String method, String path, HttpResponse<String> response) {
    JsonNode json;
    try {
      json = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      json = null;
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300 && json != null) {
      return json;
    }
    int code = json == null ? status : json.path("error_code").asInt(status);
    String message =
        Optional.ofNullable(json).map(j -> j.path("message").asText(null)).orElse(null);
    if (message == null) {
      String raw = response.body();
      message =
          "HTTP "
              + status
              + (raw.isBlank() ? "" : ": " + raw.substring(0, Math.min(raw.length(), 300)));
    }
    throw SchemaRegistryException.of(status, code, message + " (" + method + " " + path + ")");
  }

  private record SubjectSchema(String subject, Schema schema) {}

  /** One schema registered as one version of one subject. */
  public record Registration(String subject, int version, int id, Schema schema) {}
}

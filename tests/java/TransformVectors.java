/*
 * Generates single-message-transform test vectors by running Apache Kafka's own SMTs and predicates
 * (connect-transforms 4.3.1).
 *
 * Usage: java -cp "<kafka lib>/*" -Duser.timezone=UTC tests/java/TransformVectors.java cases.json > out.jsonl
 *
 * Each case names a transformation ("transform") or a predicate ("predicate"), its configuration and a list of
 * records that are passed, in order, through ONE configured instance (so schema caches are exercised):
 *
 *   record: {"kind": "source"|"sink", "topic", "partition" (default 0), "key_schema", "key", "value_schema",
 *            "value", "timestamp" (default null), "offset" (sink only, default 0), "headers": [[key, schema, value]]}
 *
 * Schemas and values use the description language of ConverterVectors.java. The output repeats each case with
 * "config_error" (configure threw) or "results": one entry per record, the transformed record, {"dropped": true},
 * {"test": bool} for predicates, or {"error": "ExceptionClass: message"}. A case with "describe" instead lists the
 * plugin's config keys, version and interfaces.
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class TransformVectors {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NF = JsonNodeFactory.instance;

    public static void main(String[] args) throws Exception {
        JsonNode cases = MAPPER.readTree(Files.readAllBytes(Path.of(args[0])));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (JsonNode c : cases) {
            ObjectNode result = ((ObjectNode) c).deepCopy();
            run(c, result);
            out.print(MAPPER.writeValueAsString(result));
            out.print('\n');
        }
        out.flush();
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void run(JsonNode c, ObjectNode result) throws Exception {
        if (c.has("describe")) {
            Object plugin = Class.forName(c.get("describe").asText()).getDeclaredConstructor().newInstance();
            ConfigDef def = plugin instanceof Transformation ? ((Transformation) plugin).config() : ((Predicate) plugin).config();
            ArrayNode keys = result.putArray("config_keys");
            for (ConfigDef.ConfigKey k : def.configKeys().values()) {
                ArrayNode row = keys.addArray();
                row.add(k.name);
                row.add(k.type.name());
                if (!k.hasDefault()) {
                    row.add("NO_DEFAULT");
                } else if (k.defaultValue == null) {
                    row.addNull();
                } else {
                    row.add(ConfigDef.convertToString(k.defaultValue, k.type));
                }
                row.add(k.importance.name());
            }
            String version = plugin instanceof Transformation ? ((Transformation) plugin).version() : ((Predicate) plugin).version();
            result.put("version", version);
            result.put("kind", plugin instanceof Transformation ? "transformation" : "predicate");
            return;
        }
        boolean isPredicate = c.has("predicate");
        String className = isPredicate ? c.get("predicate").asText() : c.get("transform").asText();
        Map<String, Object> config = new HashMap<>();
        if (c.has("config")) {
            for (Map.Entry<String, JsonNode> e : c.get("config").properties()) {
                config.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
            }
        }
        Object plugin = Class.forName(className).getDeclaredConstructor().newInstance();
        try {
            if (isPredicate) {
                ((Predicate) plugin).configure(config);
            } else {
                ((Transformation) plugin).configure(config);
            }
        } catch (Throwable t) {
            result.put("config_error", describe(t));
            return;
        }
        ArrayNode results = result.putArray("results");
        for (JsonNode r : c.get("records")) {
            ConnectRecord record;
            try {
                record = buildRecord(r);
            } catch (Throwable t) {
                throw new IllegalArgumentException("bad record in case " + c.get("case") + ": " + t, t);
            }
            try {
                if (isPredicate) {
                    results.addObject().put("test", ((Predicate) plugin).test(record));
                } else {
                    ConnectRecord out = (ConnectRecord) ((Transformation) plugin).apply(record);
                    if (out == null) {
                        results.addObject().put("dropped", true);
                    } else {
                        results.add(renderRecord(out));
                    }
                }
            } catch (Throwable t) {
                results.addObject().put("error", describe(t));
            }
        }
    }

    private static ConnectRecord<?> buildRecord(JsonNode r) {
        String topic = r.has("topic") ? (r.get("topic").isNull() ? null : r.get("topic").asText()) : "topic";
        Integer partition = r.has("partition") ? (r.get("partition").isNull() ? null : r.get("partition").asInt()) : 0;
        Schema keySchema = buildSchema(r.get("key_schema"));
        Object key = buildValue(r.get("key"), keySchema);
        Schema valueSchema = buildSchema(r.get("value_schema"));
        Object value = buildValue(r.get("value"), valueSchema);
        Long timestamp = r.has("timestamp") && !r.get("timestamp").isNull() ? r.get("timestamp").asLong() : null;
        ConnectHeaders headers = new ConnectHeaders();
        if (r.has("headers")) {
            for (JsonNode h : r.get("headers")) {
                Schema hs = buildSchema(h.get(1));
                headers.add(h.get(0).asText(), buildValue(h.get(2), hs), hs);
            }
        }
        if (r.has("kind") && r.get("kind").asText().equals("sink")) {
            long offset = r.has("offset") ? r.get("offset").asLong() : 0L;
            return new SinkRecord(topic, partition == null ? 0 : partition, keySchema, key, valueSchema, value, offset,
                timestamp, TimestampType.CREATE_TIME, headers);
        }
        return new SourceRecord(null, null, topic, partition, keySchema, key, valueSchema, value, timestamp, headers);
    }

    private static ObjectNode renderRecord(ConnectRecord<?> r) {
        ObjectNode o = NF.objectNode();
        o.put("topic", r.topic());
        if (r.kafkaPartition() == null) {
            o.putNull("partition");
        } else {
            o.put("partition", r.kafkaPartition());
        }
        o.set("key_schema", renderSchema(r.keySchema()));
        o.set("key", renderValue(r.key(), r.keySchema()));
        o.set("value_schema", renderSchema(r.valueSchema()));
        o.set("value", renderValue(r.value(), r.valueSchema()));
        if (r.timestamp() == null) {
            o.putNull("timestamp");
        } else {
            o.put("timestamp", r.timestamp());
        }
        ArrayNode hs = o.putArray("headers");
        for (Header h : r.headers()) {
            ArrayNode row = hs.addArray();
            row.add(h.key());
            row.add(renderSchema(h.schema()));
            row.add(renderValue(h.value(), h.schema()));
        }
        return o;
    }

    // ---- the description language of ConverterVectors.java ------------------------------------

    static Schema buildSchema(JsonNode d) {
        if (d == null || d.isNull()) {
            return null;
        }
        if (d.isTextual()) {
            String t = d.asText();
            boolean optional = t.endsWith("?");
            if (optional) {
                t = t.substring(0, t.length() - 1);
            }
            SchemaBuilder b = SchemaBuilder.type(Schema.Type.valueOf(t.toUpperCase()));
            return optional ? b.optional().build() : b.build();
        }
        SchemaBuilder b;
        if (d.has("logical")) {
            switch (d.get("logical").asText()) {
                case "decimal": b = Decimal.builder(d.get("scale").asInt()); break;
                case "date": b = Date.builder(); break;
                case "time": b = Time.builder(); break;
                case "timestamp": b = Timestamp.builder(); break;
                default: throw new IllegalArgumentException("logical " + d);
            }
        } else {
            Schema.Type type = Schema.Type.valueOf(d.get("type").asText().toUpperCase());
            switch (type) {
                case ARRAY: b = SchemaBuilder.array(buildSchema(d.get("items"))); break;
                case MAP: b = SchemaBuilder.map(buildSchema(d.get("keys")), buildSchema(d.get("values"))); break;
                case STRUCT:
                    b = SchemaBuilder.struct();
                    for (JsonNode f : d.get("fields")) {
                        b.field(f.get("name").asText(), buildSchema(f.get("schema")));
                    }
                    break;
                default: b = SchemaBuilder.type(type);
            }
        }
        if (d.has("optional") && d.get("optional").asBoolean()) {
            b.optional();
        }
        if (d.has("name")) {
            b.name(d.get("name").asText());
        }
        if (d.has("version")) {
            b.version(d.get("version").asInt());
        }
        if (d.has("doc")) {
            b.doc(d.get("doc").asText());
        }
        if (d.has("parameters")) {
            for (Map.Entry<String, JsonNode> e : d.get("parameters").properties()) {
                b.parameter(e.getKey(), e.getValue().asText());
            }
        }
        if (d.has("default")) {
            b.defaultValue(buildValue(d.get("default"), b));
        }
        return b.build();
    }

    static Object buildValue(JsonNode d, Schema ctx) {
        if (d == null || d.isNull()) {
            return null;
        }
        if (d.isTextual()) {
            return d.asText();  // shorthand for {"string": ...}
        }
        Iterator<Map.Entry<String, JsonNode>> it = d.properties().iterator();
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        switch (e.getKey()) {
            case "int8": return (byte) v.asInt();
            case "int16": return (short) v.asInt();
            case "int32": return v.asInt();
            case "int64": return v.asLong();
            case "float32": return Float.parseFloat(v.asText());
            case "float64": return Double.parseDouble(v.asText());
            case "boolean": return v.asBoolean();
            case "string": return v.asText();
            case "bytes": return Base64.getDecoder().decode(v.asText());
            case "bytebuffer": return ByteBuffer.wrap(Base64.getDecoder().decode(v.asText()));
            case "decimal": return new BigDecimal(v.asText());
            case "date": return new java.util.Date(v.asLong() * 86400000L);
            case "time":
            case "timestamp": return new java.util.Date(v.asLong());
            case "array": {
                List<Object> list = new ArrayList<>();
                Schema item = ctx == null ? null : ctx.valueSchema();
                for (JsonNode x : v) {
                    list.add(buildValue(x, item));
                }
                return list;
            }
            case "map": {
                Map<Object, Object> map = new LinkedHashMap<>();
                Schema ks = ctx == null ? null : ctx.keySchema();
                Schema vs = ctx == null ? null : ctx.valueSchema();
                for (JsonNode pair : v) {
                    map.put(buildValue(pair.get(0), ks), buildValue(pair.get(1), vs));
                }
                return map;
            }
            case "struct": {
                Struct s = new Struct(ctx);
                for (JsonNode pair : v) {
                    String name = pair.get(0).asText();
                    s.put(name, buildValue(pair.get(1), ctx.field(name).schema()));
                }
                return s;
            }
            default: throw new IllegalArgumentException("value " + d);
        }
    }

    // ---- Connect -> description ------------------------------------------------------------

    static JsonNode renderSchema(Schema s) {
        if (s == null) {
            return NF.nullNode();
        }
        ObjectNode o = NF.objectNode();
        o.put("type", s.type().name().toLowerCase());
        o.put("optional", s.isOptional());
        if (s.name() != null) {
            o.put("name", s.name());
        }
        if (s.version() != null) {
            o.put("version", s.version());
        }
        if (s.doc() != null) {
            o.put("doc", s.doc());
        }
        if (s.parameters() != null) {
            ObjectNode p = o.putObject("parameters");
            for (Map.Entry<String, String> e : s.parameters().entrySet()) {
                p.put(e.getKey(), e.getValue());
            }
        }
        switch (s.type()) {
            case ARRAY: o.set("items", renderSchema(s.valueSchema())); break;
            case MAP:
                o.set("keys", renderSchema(s.keySchema()));
                o.set("values", renderSchema(s.valueSchema()));
                break;
            case STRUCT: {
                ArrayNode fields = o.putArray("fields");
                for (Field f : s.fields()) {
                    ObjectNode fo = fields.addObject();
                    fo.put("name", f.name());
                    fo.set("schema", renderSchema(f.schema()));
                }
                break;
            }
            default:
        }
        if (s.defaultValue() != null) {
            o.set("default", renderValue(s.defaultValue(), s));
        }
        return o;
    }

    static JsonNode renderValue(Object v, Schema s) {
        if (v == null) {
            return NF.nullNode();
        }
        ObjectNode o = NF.objectNode();
        if (v instanceof Byte) {
            o.put("int8", (Byte) v);
        } else if (v instanceof Short) {
            o.put("int16", (Short) v);
        } else if (v instanceof Integer) {
            o.put("int32", (Integer) v);
        } else if (v instanceof Long) {
            o.put("int64", (Long) v);
        } else if (v instanceof Float) {
            o.put("float32", Float.toString((Float) v));
        } else if (v instanceof Double) {
            o.put("float64", Double.toString((Double) v));
        } else if (v instanceof Boolean) {
            o.put("boolean", (Boolean) v);
        } else if (v instanceof String) {
            o.put("string", (String) v);
        } else if (v instanceof byte[]) {
            o.put("bytes", Base64.getEncoder().encodeToString((byte[]) v));
        } else if (v instanceof ByteBuffer) {
            ByteBuffer bb = ((ByteBuffer) v).duplicate();
            byte[] raw = new byte[bb.remaining()];
            bb.get(raw);
            o.put("bytes", Base64.getEncoder().encodeToString(raw));
        } else if (v instanceof BigDecimal) {
            o.put("decimal", v.toString());
        } else if (v instanceof java.util.Date) {
            long millis = ((java.util.Date) v).getTime();
            String name = s == null ? null : s.name();
            if (Date.LOGICAL_NAME.equals(name)) {
                o.put("date", millis / 86400000L);
            } else if (Time.LOGICAL_NAME.equals(name)) {
                o.put("time", millis);
            } else {
                o.put("timestamp", millis);
            }
        } else if (v instanceof List) {
            ArrayNode a = o.putArray("array");
            Schema item = s == null ? null : s.valueSchema();
            for (Object x : (List<?>) v) {
                a.add(renderValue(x, item));
            }
        } else if (v instanceof Map) {
            Schema ks = s == null ? null : s.keySchema();
            Schema vs = s == null ? null : s.valueSchema();
            // HashMap order is not meaningful: sort the entries by their rendered key.
            List<ArrayNode> pairs = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                ArrayNode pair = NF.arrayNode();
                pair.add(renderValue(e.getKey(), ks));
                pair.add(renderValue(e.getValue(), vs));
                pairs.add(pair);
            }
            pairs.sort((a, b) -> a.get(0).toString().compareTo(b.get(0).toString()));
            ArrayNode m = o.putArray("map");
            pairs.forEach(m::add);
        } else if (v instanceof Struct) {
            Struct st = (Struct) v;
            ArrayNode a = o.putArray("struct");
            for (Field f : st.schema().fields()) {
                ArrayNode pair = a.addArray();
                pair.add(f.name());
                pair.add(renderValue(st.getWithoutDefault(f.name()), f.schema()));
            }
        } else {
            o.put("unknown", v.getClass().getName() + ":" + v);
        }
        return o;
    }
}

/*
 * Generates converter test vectors by running Apache Kafka's own converters.
 *
 * Usage: java -cp "<kafka lib>/*" -Duser.timezone=UTC tests/java/ConverterVectors.java tests/java/converter_cases.json > out.jsonl
 *
 * Every case in the input file names a converter, its configuration, a direction and an input written
 * in a small description language shared with the Python tests (tests/unit/converter_vectors.py):
 *
 *   schema: null | "int32" | "int32?" (optional) | {"type": ..., "optional", "name", "version", "doc",
 *           "parameters", "default", "items", "keys", "values", "fields": [{"name", "schema"}]}
 *           | {"logical": "decimal"|"date"|"time"|"timestamp", "scale": n, "optional": ...}
 *   value:  null | {"int8": n} | {"int16": n} | {"int32": n} | {"int64": n} | {"float32": "text"}
 *           | {"float64": "text"} | {"boolean": b} | {"string": s} | {"bytes": base64} | {"decimal": "text"}
 *           | {"date": days} | {"time": millis} | {"timestamp": millis} | {"array": [v...]}
 *           | "text" (a string) | {"map": [[k, v]...]} | {"struct": [[field, v]...]} (uses the schema in context)
 *
 * The output repeats each case with the result: "bytes_b64" (null for a null result) for the
 * from-Connect direction, "result": {"schema", "value"} for the to-Connect direction, or "error".
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;

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

public class ConverterVectors {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NF = JsonNodeFactory.instance;

    public static void main(String[] args) throws Exception {
        JsonNode cases = MAPPER.readTree(Files.readAllBytes(Path.of(args[0])));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (JsonNode c : cases) {
            ObjectNode result = ((ObjectNode) c).deepCopy();
            try {
                run(c, result);
            } catch (Throwable t) {
                result.put("error", t.getClass().getSimpleName() + ": " + t.getMessage());
            }
            out.print(MAPPER.writeValueAsString(result));
            out.print('\n');
        }
        out.flush();
    }

    private static void run(JsonNode c, ObjectNode result) throws Exception {
        String className = c.get("converter").asText();
        Map<String, Object> config = new HashMap<>();
        if (c.has("config")) {
            for (Map.Entry<String, JsonNode> e : c.get("config").properties()) {
                config.put(e.getKey(), e.getValue().asText());
            }
        }
        String method = c.get("method").asText();
        String topic = c.has("topic") ? c.get("topic").asText() : "topic";
        String headerKey = c.has("header_key") ? c.get("header_key").asText() : "h";
        Object instance = Class.forName(className).getDeclaredConstructor().newInstance();
        boolean header = method.endsWith("header");
        if (header) {
            ((HeaderConverter) instance).configure(config);
        } else {
            ((Converter) instance).configure(config, c.has("is_key") && c.get("is_key").asBoolean());
        }
        if (method.startsWith("from")) {
            Schema schema = buildSchema(c.get("schema"));
            Object value = buildValue(c.get("value"), schema);
            byte[] bytes = header
                ? ((HeaderConverter) instance).fromConnectHeader(topic, headerKey, schema, value)
                : ((Converter) instance).fromConnectData(topic, schema, value);
            if (bytes == null) {
                result.putNull("bytes_b64");
            } else {
                result.put("bytes_b64", Base64.getEncoder().encodeToString(bytes));
                if (!header && c.has("roundtrip") && c.get("roundtrip").asBoolean()) {
                    // Read the bytes back with the same converter instance.
                    SchemaAndValue back = ((Converter) instance).toConnectData(topic, bytes);
                    ObjectNode r = NF.objectNode();
                    r.set("schema", renderSchema(back.schema()));
                    r.set("value", renderValue(back.value(), back.schema()));
                    result.set("roundtrip", r);
                }
            }
        } else {
            byte[] input;
            if (c.has("text")) {
                input = c.get("text").isNull() ? null : c.get("text").asText().getBytes(StandardCharsets.UTF_8);
            } else {
                input = c.get("bytes_b64").isNull() ? null : Base64.getDecoder().decode(c.get("bytes_b64").asText());
            }
            SchemaAndValue sv = header
                ? ((HeaderConverter) instance).toConnectHeader(topic, headerKey, input)
                : ((Converter) instance).toConnectData(topic, input);
            ObjectNode r = NF.objectNode();
            if (sv == null) {
                r.putNull("schema");
                r.putNull("value");
            } else {
                r.set("schema", renderSchema(sv.schema()));
                r.set("value", renderValue(sv.value(), sv.schema()));
            }
            result.set("result", r);
        }
    }

    // ---- description -> Connect ------------------------------------------------------------

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

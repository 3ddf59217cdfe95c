/*
 * Runs Apache Kafka's own ConfigTransformer and built-in config providers (kafka-clients 4.3.1) on cases
 * given as JSON, so tests/unit/test_config_providers_java.py can compare kconnect's answers with Java's on
 * the same files and environment.
 *
 * Usage: java -cp "<kafka lib>/*" tests/java/ConfigProviderVectors.java cases.json out.jsonl
 * (the answers go to a file: the providers' own log lines go to standard output)
 *
 * A case: {"name", "providers": {"<name>": {"class": "<FQCN>", "params": {...}}}, "configs": {...}}.
 * Output, one JSON line per case: {"name", "data": {...}, "ttls": {...}} after a successful transform,
 * {"name", "configure_error": "SimpleClassName: message"} when a provider's configure() threw, or
 * {"name", "error": "SimpleClassName: message"} when the transform threw.
 *
 * A case {"name", "worker": {...}} instead parses those properties with AbstractConfig (how a worker's own
 * properties resolve the providers they declare) and answers {"name", "originals": {...}} or {"name", "error"}.
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.ConfigTransformerResult;
import org.apache.kafka.common.config.provider.ConfigProvider;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

public class ConfigProviderVectors {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        JsonNode cases = MAPPER.readTree(Files.readAllBytes(Path.of(args[0])));
        PrintStream out = new PrintStream(Files.newOutputStream(Path.of(args[1])), false, StandardCharsets.UTF_8);
        for (JsonNode c : cases) {
            ObjectNode result = MAPPER.createObjectNode();
            result.put("name", c.get("name").asText());
            if (c.has("worker")) {
                try {
                    AbstractConfig config = new AbstractConfig(new ConfigDef(), strings(c.get("worker")), false);
                    result.set("originals", MAPPER.valueToTree(new TreeMap<>(config.originalsStrings())));
                } catch (Exception e) {
                    result.put("error", describe(e));
                }
                out.println(MAPPER.writeValueAsString(result));
                continue;
            }
            Map<String, ConfigProvider> providers = new HashMap<>();
            try {
                Iterator<Map.Entry<String, JsonNode>> it = c.get("providers").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> p = it.next();
                    ConfigProvider provider = (ConfigProvider) Class.forName(p.getValue().get("class").asText())
                        .getDeclaredConstructor().newInstance();
                    provider.configure(strings(p.getValue().get("params")));
                    providers.put(p.getKey(), provider);
                }
            } catch (Exception e) {
                result.put("configure_error", describe(e));
                out.println(MAPPER.writeValueAsString(result));
                continue;
            }
            try {
                ConfigTransformerResult r = new ConfigTransformer(providers).transform(strings(c.get("configs")));
                result.set("data", MAPPER.valueToTree(new TreeMap<>(r.data())));
                result.set("ttls", MAPPER.valueToTree(new TreeMap<>(r.ttls())));
            } catch (Exception e) {
                result.put("error", describe(e));
            }
            out.println(MAPPER.writeValueAsString(result));
        }
        out.close();
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> map = new HashMap<>();
        if (node != null) {
            node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        }
        return map;
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}

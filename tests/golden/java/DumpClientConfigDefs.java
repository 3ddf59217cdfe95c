// Prints the producer, consumer and admin client ConfigDefs of the kafka-clients jar on the class path
// as JSON, for workers/kconnect/workers/client_config_defs.json (the definitions Kafka Connect shows
// for producer.override.* / consumer.override.* / admin.override.* in config validation).
//
//   java -cp ~/.cache/kconnect/kafka-4.3.1/lib/'*' tests/golden/java/DumpClientConfigDefs.java > out.json
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

public class DumpClientConfigDefs {
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String keys(ConfigDef def) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ConfigDef.ConfigKey> e : def.configKeys().entrySet()) {
            ConfigDef.ConfigKey k = e.getValue();
            boolean required = ConfigDef.NO_DEFAULT_VALUE.equals(k.defaultValue);
            String dflt = required ? null : ConfigDef.convertToString(k.defaultValue, k.type);
            out.add("  " + quote(k.name) + ": {\"type\": " + quote(k.type.name())
                + ", \"required\": " + required
                + ", \"default_value\": " + quote(dflt)
                + ", \"importance\": " + quote(k.importance.name())
                + ", \"documentation\": " + quote(k.documentation)
                + ", \"group\": " + quote(k.group)
                + ", \"order_in_group\": " + k.orderInGroup
                + ", \"width\": " + quote(k.width.name())
                + ", \"display_name\": " + quote(k.displayName)
                + ", \"dependents\": [" + String.join(", ", k.dependents.stream().map(DumpClientConfigDefs::quote).toList()) + "]}");
        }
        return "{\n" + String.join(",\n", out) + "\n }";
    }

    public static void main(String[] args) {
        System.out.println("{\"producer\": " + keys(ProducerConfig.configDef())
            + ",\n\"consumer\": " + keys(ConsumerConfig.configDef())
            + ",\n\"admin\": " + keys(AdminClientConfig.configDef()) + "}");
    }
}

"""Apache Kafka's converters, byte-compatible with Kafka 4.3.1 (see tests/vectors/converters.jsonl)."""

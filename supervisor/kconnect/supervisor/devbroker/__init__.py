"""Development/test Apache Kafka broker run from Maven Central jars (KRaft, single node)."""

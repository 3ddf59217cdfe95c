from __future__ import annotations

from kconnect.workers.javafmt import java_map_string, java_string_hash

# Expected values below were printed by Java 17 (String.hashCode, new HashMap<>(linkedHashMap).toString()).


def test_string_hash_is_javas() -> None:
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("connector.class") == -862495593
    assert java_string_hash("é😀") == 1996812  # UTF-16 code units, surrogate pair included
    assert java_string_hash("polygenelubricants") == -2147483648


def test_map_order_matches_java() -> None:
    # Recorded from Java Kafka Connect 4.3.1's error messages (tests/golden/java_responses.json).
    assert java_map_string({"file": "F", "topic": "T", "name": "N"}) == "{name=N, topic=T, file=F}"
    assert java_map_string({"name": "v", "topics": "T"}) == "{name=v, topics=T}"
    six = dict.fromkeys(["topics", "file", "tasks.max", "connector.class", "name", "key.converter"], "v")
    assert java_map_string(six) == "{connector.class=v, file=v, topics=v, tasks.max=v, name=v, key.converter=v}"

"""The converter cases fed to ConverterVectors.java (the Java side decides every expected result).

``cases()`` returns the list written to JSON for the Java program; see ConverterVectors.java for the
description language of schemas and values.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
HEADER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
NUM = "org.apache.kafka.connect.converters."

NO_SCHEMAS = {"schemas.enable": "false"}
NUMERIC = {"decimal.format": "NUMERIC"}
NO_REPLACE = {"replace.null.with.default": "false"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


STRINGS = [
    "hello",
    "",
    "é",
    "漢字",
    "😀 emoji",
    "\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001a\u001f\u007f\u0080\u009f",
    'quote " backslash \\ slash / end',
    "\u2028 line sep \u2029 para sep",
    "\ufeff bom \uffff",
    "<script>&amp;'</script>",
]
DOUBLES = [
    "0.1",
    "1.0",
    "-1.0",
    "0.0",
    "-0.0",
    "100.0",
    "1.0E10",
    "1.0E-5",
    "1.0E-300",
    "1.7976931348623157E308",
    "4.9E-324",
    "2.2250738585072014E-308",
    "NaN",
    "Infinity",
    "-Infinity",
    "1.0E7",
    "9999999.999",
    "0.001",
    "9.99E-4",
    "123456789.123",
    "1.0E21",
    "1.0E22",
    "1.0E23",
    "2.0E-3",
    "0.3",
    "3.141592653589793",
    "1.0E16",
    "1.2345678901234567E19",
    "5.0E-324",
    "-2.5E-8",
    "9007199254740993",
    "0.30000000000000004",
]
FLOATS = [
    "0.1",
    "1.0",
    "-0.0",
    "1.0E10",
    "1.0E-5",
    "3.4028235E38",
    "1.4E-45",
    "1.17549435E-38",
    "NaN",
    "Infinity",
    "-Infinity",
    "1.1",
    "16777216",
    "3.14159",
    "1.0E7",
    "0.001",
    "9.999999E-4",
    "123456.79",
]


def json_from(name: str, schema: Any, value: Any, config: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "case": name,
        "converter": JSON,
        "config": config or {},
        "method": "from_connect_data",
        "schema": schema,
        "value": value,
        "roundtrip": True,
        **extra,
    }


def json_to(name: str, text: str | None, config: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"case": name, "converter": JSON, "config": config or {}, "method": "to_connect_data", "text": text, **extra}


PERSON = {
    "type": "struct",
    "name": "com.example.Person",
    "version": 3,
    "doc": "A person",
    "parameters": {"b": "2", "a": "1"},
    "fields": [
        {"name": "name", "schema": "string"},
        {"name": "age", "schema": {"type": "int32", "optional": True, "default": {"int32": 18}}},
        {"name": "nick", "schema": "string?"},
        {"name": "tags", "schema": {"type": "array", "items": "string"}},
        {"name": "scores", "schema": {"type": "map", "keys": "string", "values": "float64"}},
        {"name": "born", "schema": {"logical": "date", "optional": True}},
        {"name": "price", "schema": {"logical": "decimal", "scale": 2}},
        {
            "name": "address",
            "schema": {
                "type": "struct",
                "optional": True,
                "fields": [{"name": "city", "schema": "string"}, {"name": "zip", "schema": "int16?"}],
            },
        },
    ],
}
PERSON_VALUE = {
    "struct": [
        ["name", {"string": "Zoë"}],
        ["age", None],
        ["nick", None],
        ["tags", {"array": [{"string": "a"}, {"string": "β"}]}],
        ["scores", {"map": [["x", {"float64": "1.5"}], ["y", {"float64": "1.0E10"}]]}],
        ["born", {"date": 19000}],
        ["price", {"decimal": "12.34"}],
        ["address", {"struct": [["city", {"string": "Paris"}], ["zip", {"int16": 750}]]}],
    ]
}


def json_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for cfg_name, cfg in (("env", {}), ("plain", NO_SCHEMAS)):
        for i, s in enumerate(STRINGS):
            out.append(json_from(f"json/{cfg_name}/string/{i}", "string", {"string": s}, cfg))
        for d in DOUBLES:
            out.append(json_from(f"json/{cfg_name}/float64/{d}", "float64", {"float64": d}, cfg))
        for f in FLOATS:
            out.append(json_from(f"json/{cfg_name}/float32/{f}", "float32", {"float32": f}, cfg))
        ints = [
            ("int8", -128),
            ("int8", 127),
            ("int16", -32768),
            ("int16", 32767),
            ("int32", -(2**31)),
            ("int32", 2**31 - 1),
            ("int64", -(2**63)),
            ("int64", 2**63 - 1),
            ("int64", 0),
        ]
        for t, n in ints:
            out.append(json_from(f"json/{cfg_name}/{t}/{n}", t, {t: n}, cfg))
        out.append(json_from(f"json/{cfg_name}/boolean/true", "boolean", {"boolean": True}, cfg))
        out.append(json_from(f"json/{cfg_name}/boolean/false", "boolean?", {"boolean": False}, cfg))
        for n, data in enumerate([b"", b"\x00\xff\x10", b"a", b"ab", b"abc", bytes(range(256))]):
            out.append(json_from(f"json/{cfg_name}/bytes/{n}", "bytes", {"bytes": b64(data)}, cfg))
        for fmt_name, fmt in (("base64", {}), ("numeric", NUMERIC)):
            c = {**cfg, **fmt}
            for scale, text in (
                (2, "1.50"),
                (2, "-1.50"),
                (2, "0.00"),
                (2, "12345678901234567890.12"),
                (0, "100"),
                (-3, "1E+3"),
                (5, "0.00001"),
                (10, "1.0000000000"),
                (2, "-0.01"),
                (7, "0.0000001"),
            ):
                out.append(
                    json_from(
                        f"json/{cfg_name}/decimal/{fmt_name}/{scale}/{text}",
                        {"logical": "decimal", "scale": scale},
                        {"decimal": text},
                        c,
                    )
                )
            out.append(
                json_from(
                    f"json/{cfg_name}/decimal/{fmt_name}/scale-mismatch",
                    {"logical": "decimal", "scale": 2},
                    {"decimal": "1.5"},
                    c,
                )
            )
            out.append(
                json_from(
                    f"json/{cfg_name}/decimal/{fmt_name}/default",
                    {"logical": "decimal", "scale": 1, "optional": True, "default": {"decimal": "2.5"}},
                    None,
                    c,
                )
            )
        for days in (0, 19000, -1, 2932896):
            out.append(json_from(f"json/{cfg_name}/date/{days}", {"logical": "date"}, {"date": days}, cfg))
        for ms in (0, 3723004, 86399999):
            out.append(json_from(f"json/{cfg_name}/time/{ms}", {"logical": "time"}, {"time": ms}, cfg))
        for ms in (0, 1700000000123, -1):
            out.append(json_from(f"json/{cfg_name}/timestamp/{ms}", {"logical": "timestamp"}, {"timestamp": ms}, cfg))
        out.append(
            json_from(
                f"json/{cfg_name}/array/int32",
                {"type": "array", "items": "int32"},
                {"array": [{"int32": 1}, {"int32": 2}, {"int32": 3}]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/array/optional-strings",
                {"type": "array", "items": "string?"},
                {"array": [{"string": "a"}, None, {"string": "c"}]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/array/nested",
                {"type": "array", "items": {"type": "array", "items": "float32"}},
                {"array": [{"array": [{"float32": "0.5"}]}, {"array": []}]},
                cfg,
            )
        )
        out.append(json_from(f"json/{cfg_name}/array/empty", {"type": "array", "items": "int64"}, {"array": []}, cfg))
        out.append(
            json_from(
                f"json/{cfg_name}/map/string-keys",
                {"type": "map", "keys": "string", "values": "int32"},
                {"map": [["b", {"int32": 1}], ["a", {"int32": 2}], ["é", {"int32": 3}]]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/map/int-keys",
                {"type": "map", "keys": "int32", "values": "string"},
                {"map": [[{"int32": 2}, {"string": "two"}], [{"int32": 1}, {"string": "one"}]]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/map/struct-values",
                {"type": "map", "keys": "int64", "values": {"type": "map", "keys": "string", "values": "boolean?"}},
                {"map": [[{"int64": 7}, {"map": [["t", {"boolean": True}], ["n", None]]}]]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/map/empty", {"type": "map", "keys": "string", "values": "string"}, {"map": []}, cfg
            )
        )
        out.append(json_from(f"json/{cfg_name}/struct/person", PERSON, PERSON_VALUE, cfg))
        out.append(json_from(f"json/{cfg_name}/struct/person-no-replace", PERSON, PERSON_VALUE, {**cfg, **NO_REPLACE}))
        out.append(json_from(f"json/{cfg_name}/struct/person-numeric", PERSON, PERSON_VALUE, {**cfg, **NUMERIC}))
        out.append(
            json_from(
                f"json/{cfg_name}/struct/required-null",
                {"type": "struct", "fields": [{"name": "a", "schema": "int32"}]},
                {"struct": [["a", None]]},
                cfg,
            )
        )
        out.append(json_from(f"json/{cfg_name}/optional-null", "string?", None, cfg))
        out.append(json_from(f"json/{cfg_name}/required-null", "string", None, cfg))
        out.append(
            json_from(
                f"json/{cfg_name}/default-null",
                {"type": "int32", "optional": True, "default": {"int32": 42}},
                None,
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/default-null-no-replace",
                {"type": "int32", "optional": True, "default": {"int32": 42}},
                None,
                {**cfg, **NO_REPLACE},
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/schema-meta",
                {
                    "type": "string",
                    "name": "n",
                    "version": 2,
                    "doc": "d\u00e9\n",
                    "parameters": {"z": "1", "a": "é"},
                    "default": {"string": "x"},
                },
                {"string": "v"},
                cfg,
            )
        )
        out.append(json_from(f"json/{cfg_name}/tombstone", None, None, cfg))
        out.append(json_from(f"json/{cfg_name}/tombstone-key", None, None, cfg, is_key=True))
        out.append(json_from(f"json/{cfg_name}/key", "int64", {"int64": 5}, cfg, is_key=True))
        # schemaless values (schema None)
        out.append(json_from(f"json/{cfg_name}/schemaless/int", None, {"int32": 7}, cfg))
        out.append(json_from(f"json/{cfg_name}/schemaless/double", None, {"float64": "1.0E10"}, cfg))
        out.append(json_from(f"json/{cfg_name}/schemaless/string", None, {"string": "é\u0001"}, cfg))
        out.append(json_from(f"json/{cfg_name}/schemaless/bytes", None, {"bytes": b64(b"\x01\x02")}, cfg))
        out.append(
            json_from(
                f"json/{cfg_name}/schemaless/map",
                None,
                {
                    "map": [
                        ["k", {"array": [{"int64": 1}, {"float64": "2.5"}, None, {"boolean": True}, {"string": "s"}]}],
                        ["m", {"map": [["x", None]]}],
                    ]
                },
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/schemaless/map-int-keys",
                None,
                {"map": [[{"int64": 1}, {"string": "a"}], [{"int64": 2}, {"array": []}]]},
                cfg,
            )
        )
        out.append(
            json_from(
                f"json/{cfg_name}/schemaless/map-mixed-keys",
                None,
                {"map": [["s", {"int64": 1}], [{"int64": 2}, {"int64": 3}]]},
                cfg,
            )
        )
        out.append(json_from(f"json/{cfg_name}/schemaless/decimal", None, {"decimal": "1.5"}, cfg))
        out.append(json_from(f"json/{cfg_name}/mismatch/int32-given-string", "int32", {"string": "x"}, cfg))
    # header converter use of JsonConverter
    out.append(
        {
            "case": "json/header/from",
            "converter": JSON,
            "config": {"converter.type": "header"},
            "method": "from_connect_header",
            "schema": "int32",
            "value": {"int32": 5},
        }
    )
    out.append(
        {
            "case": "json/header/to",
            "converter": JSON,
            "config": {"converter.type": "header"},
            "method": "to_connect_header",
            "text": '{"schema":{"type":"string"},"payload":"v"}',
        }
    )
    out.append(
        {
            "case": "json/header/to-plain",
            "converter": JSON,
            "config": {"converter.type": "header", "schemas.enable": "false"},
            "method": "to_connect_header",
            "text": "[1,2]",
        }
    )

    # bytes -> Connect
    envelope_texts = [
        '{"schema":{"type":"int32"},"payload":5}',
        '{"schema":{"type":"int8"},"payload":300}',
        '{"schema":{"type":"int32"},"payload":1.9}',
        '{"schema":{"type":"int64"},"payload":12345678901234567890}',
        '{"schema":{"type":"float"},"payload":0.1}',
        '{"schema":{"type":"double"},"payload":0.1}',
        '{"schema":{"type":"double"},"payload":1}',
        '{"schema":{"type":"double"},"payload":"NaN"}',
        '{"schema":{"type":"double"},"payload":1e400}',
        '{"schema":{"type":"boolean"},"payload":"true"}',
        '{"schema":{"type":"string"},"payload":5}',
        '{"schema":{"type":"string"},"payload":"\\u00e9\\ud83d\\ude00\\n"}',
        '{"schema":{"type":"bytes"},"payload":"AP8Q"}',
        '{"schema":{"type":"bytes","optional":true},"payload":null}',
        '{"schema":{"type":"int32","optional":false},"payload":null}',
        '{"schema":{"type":"int32","default":9},"payload":null}',
        '{"schema":{"type":"int32","optional":true,"default":9,"name":"n","version":4,"doc":"d",'
        '"parameters":{"p":"q"}},"payload":null}',
        '{"schema":{"type":"array","items":{"type":"int16"}},"payload":[1,2,3]}',
        '{"schema":{"type":"array","items":{"type":"int16"}},"payload":{"a":1}}',
        '{"schema":{"type":"array"},"payload":[]}',
        '{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":{"a":1,"b":2}}',
        '{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}},"payload":[[1,"a"],[2,"b"]]}',
        '{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}},"payload":{"1":"a"}}',
        '{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}},"payload":[[1]]}',
        '{"schema":{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"string","optional":true,'
        '"field":"b"},{"type":"int64","optional":true,"default":3,"field":"c"}]},"payload":{"a":1,"zz":2}}',
        '{"schema":{"type":"struct","fields":[{"type":"int32","field":"a"}]},"payload":{}}',
        '{"schema":{"type":"struct","fields":[{"type":"int32","field":"a"}]},"payload":[1]}',
        '{"schema":{"type":"struct","name":"S","fields":[{"type":"struct","optional":true,"field":"in",'
        '"fields":[{"type":"boolean","field":"x"}]}]},"payload":{"in":{"x":true}}}',
        '{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
        '"parameters":{"scale":"2"}},"payload":"AJY="}',
        '{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
        '"parameters":{"scale":"2"}},"payload":1.5}',
        '{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
        '"parameters":{"scale":"2"}},"payload":150}',
        '{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
        '"parameters":{"scale":"2"}},"payload":1.50E+3}',
        '{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1},"payload":19000}',
        '{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1},"payload":1.5}',
        '{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1},"payload":3723004}',
        '{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1},'
        '"payload":1700000000123}',
        '{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":-5}',
        '{"schema":null,"payload":{"a":[1,2.5]}}',
        '{"schema":{"type":"nope"},"payload":1}',
        '{"schema":{"optional":true},"payload":1}',
        '{"payload":1}',
        '{"schema":{"type":"int32"},"payload":1,"extra":2}',
        "[1]",
        '  {"schema" : {"type":"string"} ,\n "payload" : "ws"}  ',
        '{"schema":{"type":"int32"},"payload":1} trailing',
        '{"schema":{"type":"int32"},"payload":007}',
        '{"schema":{"type":"int32"},"payload":1,"payload":2,"schema":{"type":"int64"}}',
        '{"schema":{"type":"int32"},"payload":1',
        "null",
        "",
    ]
    for i, t in enumerate(envelope_texts):
        out.append(json_to(f"json/to/env/{i}", t))
    for i, t in enumerate(envelope_texts[:6]):
        out.append(json_to(f"json/to/env-no-replace/{i}", t, NO_REPLACE))
    out.append(
        json_to(
            "json/to/env-no-replace/default",
            '{"schema":{"type":"int32","optional":true,"default":9},"payload":null}',
            NO_REPLACE,
        )
    )
    out.append(json_to("json/to/env/null-bytes", None))
    plain_texts = [
        '{"a":1,"b":[1,2.5,"x",null,true],"c":{"d":-0.0}}',
        "1",
        "-0",
        "1.5",
        "-0.0",
        "1E2",
        "0.1",
        "1e400",
        "12345678901234567890",
        "-9223372036854775809",
        '"str\\u0000"',
        "null",
        "[]",
        "{}",
        "true",
        "",
        "   ",
        "1 2",
        "007",
        "[01]",
        "NaN",
        '"a',
        "[1,]",
        '{"schema":{"type":"int32"},"payload":5}',
        "\ufeff1",
        "1.0000000000000000000001",
    ]
    for i, t in enumerate(plain_texts):
        out.append(json_to(f"json/to/plain/{i}", t, NO_SCHEMAS))
    out.append(json_to("json/to/plain/null-bytes", None, NO_SCHEMAS))
    out.append(
        {**json_to("json/to/plain/invalid-utf8", None, NO_SCHEMAS), "text": None, "bytes_b64": b64(b'"\xff\xfe"')}
    )
    out[-1].pop("text")
    return out


def string_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def frm(name: str, schema: Any, value: Any, config: dict[str, str] | None = None) -> None:
        out.append(
            {
                "case": f"string/from/{name}",
                "converter": STRING,
                "config": config or {},
                "method": "from_connect_data",
                "schema": schema,
                "value": value,
            }
        )

    frm("ascii", "string", {"string": "hello"})
    frm("unicode", "string", {"string": "héllo 漢字 😀 \u0000"})
    frm("int32", "int32", {"int32": 42})
    frm("int64", None, {"int64": -7})
    frm("float64", "float64", {"float64": "1.0E10"})
    frm("float64-small", "float64", {"float64": "0.001"})
    frm("float64-nan", "float64", {"float64": "NaN"})
    frm("float32", "float32", {"float32": "0.1"})
    frm("boolean", "boolean", {"boolean": True})
    frm("decimal", {"logical": "decimal", "scale": 2}, {"decimal": "1.50"})
    frm("list", None, {"array": [{"int32": 1}, {"string": "a"}, None, {"float64": "2.0"}]})
    frm("map", None, {"map": [["a", {"int32": 1}], ["b", {"array": []}]]})
    frm(
        "struct",
        {
            "type": "struct",
            "fields": [
                {"name": "a", "schema": "int32"},
                {"name": "b", "schema": "string?"},
                {"name": "c", "schema": "string"},
            ],
        },
        {"struct": [["a", {"int32": 1}], ["c", {"string": "x"}]]},
    )
    frm("null", "string?", None)
    frm("utf16", "string", {"string": "hé😀"}, {"converter.encoding": "UTF-16"})
    frm("utf16le", "string", {"string": "hé"}, {"converter.encoding": "UTF-16LE"})
    frm("latin1", "string", {"string": "hé漢"}, {"converter.encoding": "ISO-8859-1"})
    frm("ascii-enc", "string", {"string": "hé"}, {"converter.encoding": "US-ASCII"})

    def to(name: str, data: bytes | None, config: dict[str, str] | None = None) -> None:
        out.append(
            {
                "case": f"string/to/{name}",
                "converter": STRING,
                "config": config or {},
                "method": "to_connect_data",
                "bytes_b64": None if data is None else b64(data),
            }
        )

    to("ascii", b"hello")
    to("unicode", "héllo 漢字 😀".encode())
    to("empty", b"")
    to("null", None)
    to("invalid-utf8", b"a\xff\xfeb\xc3(\xe2\x82c\xf0\x9f\x98")
    to("utf16-bom", "hé".encode("utf-16-be").join([b"\xfe\xff", b""]), {"converter.encoding": "UTF-16"})
    to("utf16-nobom", "hé".encode("utf-16-be"), {"converter.encoding": "UTF-16"})
    to("latin1", b"h\xe9", {"converter.encoding": "ISO-8859-1"})
    for method, key in (("from_connect_header", "from"), ("to_connect_header", "to")):
        case: dict[str, Any] = {
            "case": f"string/header/{key}",
            "converter": STRING,
            "config": {"converter.type": "header"},
            "method": method,
        }
        if key == "from":
            case.update(schema="string", value={"string": "hé"})
        else:
            case["bytes_b64"] = b64("hé".encode())
        out.append(case)
    return out


def bytes_and_number_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def frm(conv: str, name: str, schema: Any, value: Any) -> None:
        out.append(
            {
                "case": f"{conv.rsplit('.', 1)[1]}/from/{name}",
                "converter": conv,
                "config": {},
                "method": "from_connect_data",
                "schema": schema,
                "value": value,
            }
        )

    def to(conv: str, name: str, data: bytes | None) -> None:
        out.append(
            {
                "case": f"{conv.rsplit('.', 1)[1]}/to/{name}",
                "converter": conv,
                "config": {},
                "method": "to_connect_data",
                "bytes_b64": None if data is None else b64(data),
            }
        )

    frm(BYTES, "bytes", "bytes", {"bytes": b64(b"\x00\x01\xff")})
    frm(BYTES, "schemaless", None, {"bytes": b64(b"abc")})
    frm(BYTES, "null", "bytes?", None)
    frm(BYTES, "wrong-schema", "string", {"string": "x"})
    frm(BYTES, "wrong-value", None, {"string": "x"})
    to(BYTES, "bytes", b"\x00\x01\xff")
    to(BYTES, "empty", b"")
    to(BYTES, "null", None)
    for cls, t, values, sizes in (
        ("IntegerConverter", "int32", [0, -1, 2**31 - 1, -(2**31), 258], (4,)),
        ("LongConverter", "int64", [0, -1, 2**63 - 1, -(2**63)], (8,)),
        ("ShortConverter", "int16", [0, -1, 32767, -32768], (2,)),
    ):
        for v in values:
            frm(NUM + cls, str(v), t, {t: v})
        frm(NUM + cls, "null", None, None)
        frm(NUM + cls, "wrong-type", None, {"string": "1"})
        for n in sizes:
            to(NUM + cls, f"size{n}", bytes(range(0x80, 0x80 + n)))
        to(NUM + cls, "wrong-size", b"\x01\x02\x03")
        to(NUM + cls, "null", None)
    for v in ("0.1", "-0.0", "NaN", "Infinity", "1.0E10", "4.9E-324"):
        frm(NUM + "DoubleConverter", v, "float64", {"float64": v})
    for v in ("0.1", "-0.0", "NaN", "-Infinity", "1.4E-45"):
        frm(NUM + "FloatConverter", v, "float32", {"float32": v})
    to(NUM + "DoubleConverter", "pi", bytes.fromhex("400921fb54442d18"))
    to(NUM + "DoubleConverter", "nan-payload", bytes.fromhex("7ff0000000000001"))
    to(NUM + "DoubleConverter", "wrong-size", b"\x01")
    to(NUM + "FloatConverter", "tenth", bytes.fromhex("3dcccccd"))
    to(NUM + "FloatConverter", "neg-zero", bytes.fromhex("80000000"))
    to(NUM + "FloatConverter", "null", None)
    frm(NUM + "BooleanConverter", "true", "boolean", {"boolean": True})
    frm(NUM + "BooleanConverter", "false", None, {"boolean": False})
    frm(NUM + "BooleanConverter", "null", None, None)
    frm(NUM + "BooleanConverter", "wrong-schema", "int32", {"int32": 1})
    frm(NUM + "BooleanConverter", "wrong-value", None, {"int32": 1})
    for name, data in (("zero", b"\x00"), ("one", b"\x01"), ("two", b"\x02"), ("long", b"\x01\x00"), ("null", None)):
        to(NUM + "BooleanConverter", name, data)
    return out


HEADER_STRINGS = [
    "hello",
    "42",
    "-129",
    "40000",
    "3000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "0.1",
    "-0.5",
    "1.0E10",
    "1e3",
    "1e-3",
    "1e400",
    "1.0",
    "100.00",
    "0.0",
    "+5",
    "-0",
    "007",
    "0x10",
    "1_000",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "false",
    "TRUE",
    "null",
    "  null ",
    "[1,2,3]",
    "[1,2.5]",
    '[1,"a"]',
    "[1,null]",
    "[null]",
    "[]",
    "{}",
    '{"a":1,"b":2}',
    "{a:1}",
    '{"a":[1,2],"b":[3]}',
    '{"k":"v","k2":null}',
    '{1:"a",2:"b"}',
    '{"a":1,"b":"x"}',
    "2024-01-02",
    "12:34:56.789Z",
    "2024-01-02T12:34:56.789Z",
    '["2024-01-02","2024-01-03"]',
    "  spaced  ",
    "true}",
    "[1,2",
    '{"a":}',
    "a,b",
    "1,2",
    "[1,,2]",
    "1:2",
    '"quoted"',
    '["a\\"b","c\\\\d"]',
    "é 漢字",
    "[true,false]",
    "[[1],[2,3]]",
    '{"a":{"b":1}}',
    "[1, 2 , 3 ]",
    '["x", 1]',
    '{"a":1,}',
    "[1,]",
    "-",
    "+",
    "1.2.3",
    "12345678901234567890.5",
    "0.00000001",
    "[1.5,2]",
    "[1,2.5e40]",
    "[1,1e400]",
    '["2024-01-02",1]',
    "2024-13-45",
    "99:99:99.999Z",
    "\\:",
    "a\\,b",
    "[a,b]",
    '{"a" 1}',
    "[1 2]",
]


def header_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, s in enumerate(HEADER_STRINGS):
        out.append(
            {"case": f"header/to/{i}", "converter": HEADER, "config": {}, "method": "to_connect_header", "text": s}
        )
    out.append(
        {"case": "header/to/empty", "converter": HEADER, "config": {}, "method": "to_connect_header", "text": ""}
    )
    out.append(
        {"case": "header/to/null", "converter": HEADER, "config": {}, "method": "to_connect_header", "text": None}
    )
    out.append(
        {
            "case": "header/to/invalid-utf8",
            "converter": HEADER,
            "config": {},
            "method": "to_connect_header",
            "bytes_b64": b64(b"a\xffb"),
        }
    )

    def frm(name: str, schema: Any, value: Any) -> None:
        out.append(
            {
                "case": f"header/from/{name}",
                "converter": HEADER,
                "config": {},
                "method": "from_connect_header",
                "schema": schema,
                "value": value,
            }
        )

    frm("string", "string", {"string": 'héllo "q" \\'})
    frm("int8", "int8", {"int8": -5})
    frm("int64", "int64", {"int64": 2**63 - 1})
    frm("float64", "float64", {"float64": "1.0E10"})
    frm("float64-small", "float64", {"float64": "1.0E-5"})
    frm("float32", "float32", {"float32": "0.1"})
    frm("float64-nan", "float64", {"float64": "NaN"})
    frm("boolean", "boolean", {"boolean": False})
    frm("bytes", "bytes", {"bytes": b64(b"\x00\xff")})
    frm("decimal", {"logical": "decimal", "scale": 2}, {"decimal": "-1.50"})
    frm("decimal-sci", {"logical": "decimal", "scale": 9}, {"decimal": "1E-9"})
    frm("date", {"logical": "date"}, {"date": 19000})
    frm("time", {"logical": "time"}, {"time": 3723004})
    frm("time-zero", {"logical": "time"}, {"time": 0})
    frm("timestamp", {"logical": "timestamp"}, {"timestamp": 1700000000123})
    frm("timestamp-midnight", {"logical": "timestamp"}, {"timestamp": 1700006400000})
    frm("list", {"type": "array", "items": "string?"}, {"array": [{"string": 'a"b'}, None, {"string": "c\\d"}]})
    frm(
        "list-mixed",
        None,
        {"array": [{"int32": 1}, {"float64": "2.5"}, {"boolean": True}, {"bytes": b64(b"x")}, {"array": []}]},
    )
    frm(
        "map", {"type": "map", "keys": "string", "values": "int32"}, {"map": [["a", {"int32": 1}], ["b", {"int32": 2}]]}
    )
    frm("map-int-keys", None, {"map": [[{"int32": 1}, {"string": "x"}], [{"int32": 2}, None]]})
    frm(
        "struct",
        {
            "type": "struct",
            "fields": [
                {"name": "f", "schema": "int32"},
                {"name": "g", "schema": {"type": "string", "optional": True, "default": {"string": "dflt"}}},
                {"name": "h", "schema": {"type": "array", "items": "int64"}},
            ],
        },
        {"struct": [["f", {"int32": 1}], ["h", {"array": [{"int64": 5}]}]]},
    )
    frm("null", "string?", None)
    frm("nested-dates", {"type": "array", "items": {"logical": "date"}}, {"array": [{"date": 1}]})
    return out


def cases() -> list[dict[str, Any]]:
    return json_cases() + string_cases() + bytes_and_number_cases() + header_cases()


if __name__ == "__main__":
    json.dump(cases(), sys.stdout, ensure_ascii=False, indent=1)

"""The SMT and predicate cases fed to TransformVectors.java (the Java side decides every expected result).

``cases()`` returns the list written to JSON for the Java program; see TransformVectors.java for the case format
and ConverterVectors.java for the description language of schemas and values.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

T = "org.apache.kafka.connect.transforms."
P = "org.apache.kafka.connect.transforms.predicates."
KV = ("Key", "Value")

NESTED = {
    "type": "struct",
    "name": "com.example.Inner",
    "optional": True,
    "fields": [{"name": "a", "schema": "int64"}, {"name": "b", "schema": "string?"}],
}
PERSON = {
    "type": "struct",
    "name": "com.example.Person",
    "version": 2,
    "doc": "a person",
    "parameters": {"p": "1"},
    "fields": [
        {"name": "name", "schema": "string"},
        {"name": "age", "schema": "int32?"},
        {"name": "score", "schema": "float64"},
        {"name": "active", "schema": "boolean"},
        {"name": "small", "schema": "int8"},
        {"name": "ratio", "schema": "float32"},
        {"name": "big", "schema": "int64"},
        {"name": "raw", "schema": "bytes?"},
        {"name": "tags", "schema": {"type": "array", "items": "string", "optional": True}},
        {"name": "inner", "schema": NESTED},
        {"name": "dflt", "schema": {"type": "string", "optional": True, "default": "fallback"}},
    ],
}
PERSON_VALUE = {
    "struct": [
        ["name", "ann"],
        ["age", {"int32": 42}],
        ["score", {"float64": "98.5"}],
        ["active", {"boolean": True}],
        ["small", {"int8": -3}],
        ["ratio", {"float32": "0.1"}],
        ["big", {"int64": 1234567890123}],
        ["raw", {"bytes": base64.b64encode(b"\x00\x01hi").decode()}],
        ["tags", {"array": ["x", "y"]}],
        ["inner", {"struct": [["a", {"int64": 7}], ["b", "bee"]]}],
        ["dflt", None],
    ]
}
PERSON_NULLS = {
    "struct": [
        ["name", "bob"],
        ["age", None],
        ["score", {"float64": "-0.0"}],
        ["active", {"boolean": False}],
        ["small", {"int8": 127}],
        ["ratio", {"float32": "-1.5E10"}],
        ["big", {"int64": -9}],
        ["raw", None],
        ["tags", None],
        ["inner", None],
        ["dflt", "set"],
    ]
}
MAP_VALUE = {
    "map": [
        ["name", "ann"],
        ["age", {"int64": 42}],
        ["score", {"float64": "98.5"}],
        ["active", {"boolean": True}],
        ["text", "123"],
        ["ftext", "1.5"],
        ["raw", {"bytes": base64.b64encode(b"\xff\x00").decode()}],
        ["tags", {"array": ["x", {"int64": 1}]}],
        ["inner", {"map": [["a", {"int64": 7}], ["b", {"map": [["c", "deep"]]}]]}],
        ["none", None],
    ]
}
FLAT = {
    "type": "struct",
    "fields": [
        {"name": "i8", "schema": "int8"},
        {"name": "i16", "schema": "int16"},
        {"name": "i32", "schema": "int32"},
        {"name": "i64", "schema": "int64"},
        {"name": "f32", "schema": "float32"},
        {"name": "f64", "schema": "float64"},
        {"name": "b", "schema": "boolean"},
        {"name": "s", "schema": "string"},
        {"name": "opt", "schema": "int32?"},
        {"name": "withdef", "schema": {"type": "int32", "optional": True, "default": {"int32": 5}}},
    ],
}


def flat_value(i: int, f: str, b: bool, s: str, opt: Any = None) -> dict[str, Any]:
    return {
        "struct": [
            ["i8", {"int8": max(-128, min(127, i))}],
            ["i16", {"int16": max(-32768, min(32767, i))}],
            ["i32", {"int32": max(-(2**31), min(2**31 - 1, i))}],
            ["i64", {"int64": i}],
            ["f32", {"float32": f}],
            ["f64", {"float64": f}],
            ["b", {"boolean": b}],
            ["s", s],
            ["opt", opt],
            ["withdef", None],
        ]
    }


FLAT_VALUES = [
    flat_value(0, "0.0", False, "0"),
    flat_value(1, "1.5", True, "true", {"int32": 3}),
    flat_value(-1, "-1.9", True, "-7"),
    flat_value(300, "300.7", False, "300"),
    flat_value(-129, "1.0E10", True, "TRUE"),
    flat_value(70000, "NaN", False, "1e3"),
    flat_value(2**31, "Infinity", True, "2147483648"),
    flat_value(-(2**63), "-Infinity", False, " 5"),
    flat_value(2**63 - 1, "3.4028235E38", True, "+12"),
    flat_value(123456789, "1.0E-5", False, "x"),
]


def rec(**kw: Any) -> dict[str, Any]:
    return kw


def val(schema: Any, value: Any, **kw: Any) -> dict[str, Any]:
    return {"value_schema": schema, "value": value, **kw}


def key(schema: Any, value: Any, **kw: Any) -> dict[str, Any]:
    return {"key_schema": schema, "key": value, **kw}


def on(kv: str, schema: Any, value: Any, **kw: Any) -> dict[str, Any]:
    """A record with this schema/value as its key or its value (the other half is a fixed marker)."""
    if kv == "Key":
        return {"key_schema": schema, "key": value, "value_schema": "string", "value": "v", **kw}
    return {"key_schema": "string", "key": "k", "value_schema": schema, "value": value, **kw}


class Cases:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.names: set[str] = set()

    def add(self, name: str, cls: str, config: dict[str, Any], records: list[dict[str, Any]]) -> None:
        assert name not in self.names, name
        self.names.add(name)
        self.items.append({"case": name, "transform": cls, "config": config, "records": records})

    def pred(self, name: str, cls: str, config: dict[str, Any], records: list[dict[str, Any]]) -> None:
        assert name not in self.names, name
        self.names.add(name)
        self.items.append({"case": name, "predicate": cls, "config": config, "records": records})


def cast_cases(c: Cases) -> None:
    types = ["int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string"]
    for kv in KV:
        cls = T + "Cast$" + kv
        for t in types:
            # every field of a flat struct to one type
            spec = ",".join(f"{f}:{t}" for f in ("i8", "i16", "i32", "i64", "f32", "f64", "b", "s", "opt", "withdef"))
            c.add(f"cast-{kv}-struct-all-to-{t}", cls, {"spec": spec}, [on(kv, FLAT, v) for v in FLAT_VALUES])
            c.add(
                f"cast-{kv}-struct-all-to-{t}-nodefault",
                cls,
                {"spec": spec, "replace.null.with.default": "false"},
                [on(kv, FLAT, FLAT_VALUES[1])],
            )
            # whole primitive values
            records = [
                on(kv, "int8", {"int8": -5}),
                on(kv, "int16", {"int16": 1000}),
                on(kv, "int32", {"int32": -70000}),
                on(kv, "int64", {"int64": 5000000000}),
                on(kv, "float32", {"float32": "2.75"}),
                on(kv, "float64", {"float64": "-1.0E300"}),
                on(kv, "boolean", {"boolean": True}),
                on(kv, "string?", "42"),
                on(kv, "string?", None),
                on(kv, "int32?", None),
                on(kv, {"type": "int32", "name": "n", "version": 3, "doc": "d", "optional": True}, {"int32": 9}),
            ]
            c.add(f"cast-{kv}-whole-{t}", cls, {"spec": t}, records)
            c.add(
                f"cast-{kv}-schemaless-whole-{t}",
                cls,
                {"spec": t},
                [
                    on(kv, None, {"int64": 77}),
                    on(kv, None, {"float64": "-2.5"}),
                    on(kv, None, {"boolean": False}),
                    on(kv, None, "17"),
                    on(kv, None, None),
                ],
            )
            c.add(
                f"cast-{kv}-schemaless-fields-{t}",
                cls,
                {"spec": f"age:{t},score:{t},active:{t},text:{t},missing:{t}"},
                [on(kv, None, MAP_VALUE)],
            )
        c.add(
            f"cast-{kv}-bytes-to-string",
            cls,
            {"spec": "raw:string"},
            [on(kv, PERSON, PERSON_VALUE), on(kv, PERSON, PERSON_NULLS)],
        )
        c.add(f"cast-{kv}-schemaless-bytes-to-string", cls, {"spec": "raw:string"}, [on(kv, None, MAP_VALUE)])
        c.add(f"cast-{kv}-bytes-to-int", cls, {"spec": "raw:int32"}, [on(kv, PERSON, PERSON_VALUE)])
        c.add(f"cast-{kv}-array-field", cls, {"spec": "tags:string"}, [on(kv, PERSON, PERSON_VALUE)])
        c.add(f"cast-{kv}-struct-field", cls, {"spec": "inner:string"}, [on(kv, PERSON, PERSON_VALUE)])
        c.add(f"cast-{kv}-schemaless-map-field", cls, {"spec": "inner:string"}, [on(kv, None, MAP_VALUE)])
        c.add(f"cast-{kv}-schemaless-not-a-map", cls, {"spec": "a:int8"}, [on(kv, None, "text")])
        c.add(f"cast-{kv}-struct-expected", cls, {"spec": "a:int8"}, [on(kv, "string", "text")])
        c.add(
            f"cast-{kv}-bad-strings",
            cls,
            {"spec": "s:int32"},
            [
                on(kv, {"type": "struct", "fields": [{"name": "s", "schema": "string"}]}, {"struct": [["s", x]]})
                for x in ("1.5", "abc", "99999999999", "", "0x10", "-0")
            ],
        )
        c.add(
            f"cast-{kv}-float-strings",
            cls,
            {"spec": "s:float32"},
            [
                on(kv, {"type": "struct", "fields": [{"name": "s", "schema": "string"}]}, {"struct": [["s", x]]})
                for x in ("1.5", " 2.5 ", "1e3", "-Infinity", "NaN", "1.5f", "abc", "3.4028236E38", "0.1", ".5")
            ],
        )
        logical = {
            "type": "struct",
            "fields": [
                {"name": "d", "schema": {"logical": "date"}},
                {"name": "t", "schema": {"logical": "time"}},
                {"name": "ts", "schema": {"logical": "timestamp"}},
                {"name": "dec", "schema": {"logical": "decimal", "scale": 2}},
            ],
        }
        lv = {
            "struct": [
                ["d", {"date": 19000}],
                ["t", {"time": 3723004}],
                ["ts", {"timestamp": 1700000000123}],
                ["dec", {"decimal": "-12345.67"}],
            ]
        }
        for t in ("int64", "int32", "float64", "string", "boolean", "int8"):
            c.add(f"cast-{kv}-logical-to-{t}", cls, {"spec": f"d:{t},t:{t},ts:{t},dec:{t}"}, [on(kv, logical, lv)])
        c.add(
            f"cast-{kv}-whole-logical",
            cls,
            {"spec": "int64"},
            [on(kv, {"logical": "timestamp"}, {"timestamp": 86400000}), on(kv, {"logical": "date"}, {"date": 3})],
        )
        c.add(
            f"cast-{kv}-whole-timestamp-to-string",
            cls,
            {"spec": "string"},
            [
                on(kv, {"logical": "timestamp"}, {"timestamp": t})
                for t in (0, 1000, 86400000, 86400001, 1700000000123, -5)
            ],
        )
        c.add(
            f"cast-{kv}-field-defaults",
            cls,
            {"spec": "withdef:string,opt:int64"},
            [on(kv, FLAT, FLAT_VALUES[0]), on(kv, FLAT, FLAT_VALUES[1])],
        )
        c.add(
            f"cast-{kv}-struct-with-default",
            cls,
            {"spec": "a:int64"},
            [
                on(
                    kv,
                    {
                        "type": "struct",
                        "optional": True,
                        "fields": [{"name": "a", "schema": "int32"}],
                        "default": {"struct": [["a", {"int32": 1}]]},
                    },
                    {"struct": [["a", {"int32": 2}]]},
                )
            ],
        )
    # config errors
    cls = T + "Cast$Value"
    for i, spec in enumerate(
        [
            "",
            "int9",
            "a:int9",
            "bytes",
            "a:bytes",
            "a:array",
            "a:b:c",
            "int8,a:int16",
            "a:int8,int16",
            "a:",
            ":int8",
            "a::int8",
            " a : INT8 ",
            "a:Float32,b:BOOLEAN",
            "struct",
            "::",
        ]
    ):
        c.add(f"cast-config-{i}", cls, {"spec": spec}, [val(None, {"map": [["a", "1"], ["", "2"]]})])
    c.add("cast-config-missing", cls, {}, [])
    c.add("cast-config-bad-bool", cls, {"spec": "int8", "replace.null.with.default": "maybe"}, [])


def drop_headers_cases(c: Cases) -> None:
    cls = T + "DropHeaders"
    headers = [["a", "string", "1"], ["b", None, {"int64": 2}], ["a", "int32", {"int32": 3}], ["c", None, None]]
    for i, cfg in enumerate(["a", "a,b", "x", "a,b,c", " a , c "]):
        c.add(f"dropheaders-{i}", cls, {"headers": cfg}, [rec(headers=headers), rec(headers=[])])
    for i, cfg in enumerate(["", "a,a", "a,,b"]):
        c.add(f"dropheaders-config-{i}", cls, {"headers": cfg}, [])
    c.add("dropheaders-config-missing", cls, {}, [])


def extract_cases(c: Cases) -> None:
    for kv in KV:
        cls = T + "ExtractField$" + kv
        for f in ("name", "age", "inner", "tags", "dflt", "missing"):
            c.add(
                f"extract-{kv}-{f}",
                cls,
                {"field": f},
                [on(kv, PERSON, PERSON_VALUE), on(kv, PERSON, PERSON_NULLS), on(kv, PERSON, None)],
            )
            c.add(f"extract-{kv}-schemaless-{f}", cls, {"field": f}, [on(kv, None, MAP_VALUE), on(kv, None, None)])
        c.add(
            f"extract-{kv}-nodefault",
            cls,
            {"field": "dflt", "replace.null.with.default": "false"},
            [on(kv, PERSON, PERSON_VALUE)],
        )
        c.add(f"extract-{kv}-not-struct", cls, {"field": "a"}, [on(kv, "string", "s"), on(kv, None, "s")])
        for path in ("inner.a", "inner.b", "inner.c", "name.x", "`inner`.a", "inner.", "nope.a"):
            c.add(
                f"extract-{kv}-v2-{path}",
                cls,
                {"field": path, "field.syntax.version": "V2"},
                [on(kv, PERSON, PERSON_VALUE), on(kv, PERSON, PERSON_NULLS)],
            )
        for path in ("inner.a", "inner.b.c", "inner.b.x", "name.x", "none.x", "inner.zz.q"):
            c.add(
                f"extract-{kv}-v2-schemaless-{path}",
                cls,
                {"field": path, "field.syntax.version": "v2"},
                [on(kv, None, MAP_VALUE)],
            )
        c.add(f"extract-{kv}-v1-dotted", cls, {"field": "inner.a"}, [on(kv, None, MAP_VALUE)])
    dotted = {
        "map": [
            ["a.b", {"map": [["c", "1"], ["d`e", "2"]]}],
            ["a", {"map": [["b", "3"]]}],
            ["x`y", "4"],
            ["", {"map": [["", "5"]]}],
        ]
    }
    cls = T + "ExtractField$Value"
    for i, path in enumerate(["`a.b`.c", "a.b", "`a.b`.`d`e`", "x`y", "`x`y`", "`a.b", "a.b`", ".", "", "`a\\`.b`.c"]):
        c.add(f"extract-backticks-{i}", cls, {"field": path, "field.syntax.version": "V2"}, [val(None, dotted)])
    c.add("extract-config-version", cls, {"field": "a", "field.syntax.version": "V3"}, [])
    c.add("extract-config-missing", cls, {}, [])


def flatten_cases(c: Cases) -> None:
    deep = {
        "type": "struct",
        "name": "Deep",
        "fields": [
            {"name": "id", "schema": "int32"},
            {
                "name": "a",
                "schema": {
                    "type": "struct",
                    "optional": True,
                    "fields": [
                        {"name": "x", "schema": "string"},
                        {"name": "y", "schema": {"type": "int64", "optional": True, "default": {"int64": 9}}},
                        {
                            "name": "z",
                            "schema": {"type": "struct", "fields": [{"name": "q", "schema": "boolean"}]},
                        },
                    ],
                },
            },
            {"name": "arr", "schema": {"type": "array", "items": "int32"}},
            {"name": "named", "schema": {"logical": "timestamp", "optional": True}},
        ],
    }
    deep_v = {
        "struct": [
            ["id", {"int32": 1}],
            ["a", {"struct": [["x", "ex"], ["y", None], ["z", {"struct": [["q", {"boolean": True}]]}]]}],
            ["arr", {"array": [{"int32": 1}, {"int32": 2}]}],
            ["named", {"timestamp": 5}],
        ]
    }
    deep_null = {"struct": [["id", {"int32": 2}], ["a", None], ["arr", {"array": []}], ["named", None]]}
    with_map = {
        "type": "struct",
        "fields": [{"name": "m", "schema": {"type": "map", "keys": "string", "values": "string"}}],
    }
    for kv in KV:
        cls = T + "Flatten$" + kv
        c.add(f"flatten-{kv}-struct", cls, {}, [on(kv, deep, deep_v), on(kv, deep, deep_null), on(kv, deep, deep_v)])
        c.add(f"flatten-{kv}-struct-delim", cls, {"delimiter": "__"}, [on(kv, deep, deep_v)])
        c.add(
            f"flatten-{kv}-person",
            cls,
            {"delimiter": "_"},
            [on(kv, PERSON, PERSON_VALUE), on(kv, PERSON, PERSON_NULLS)],
        )
        c.add(f"flatten-{kv}-schemaless", cls, {}, [on(kv, None, MAP_VALUE), on(kv, None, None)])
        c.add(f"flatten-{kv}-schemaless-delim", cls, {"delimiter": "/"}, [on(kv, None, MAP_VALUE)])
        c.add(f"flatten-{kv}-map-in-struct", cls, {}, [on(kv, with_map, {"struct": [["m", {"map": [["k", "v"]]}]]})])
        c.add(f"flatten-{kv}-not-map", cls, {}, [on(kv, None, "x"), on(kv, None, {"array": []})])
        c.add(f"flatten-{kv}-null-struct", cls, {}, [on(kv, {**deep, "optional": True}, None)])
        c.add(f"flatten-{kv}-primitive", cls, {}, [on(kv, "string", "x")])
        c.add(
            f"flatten-{kv}-schemaless-logical",
            cls,
            {},
            [on(kv, None, {"map": [["t", {"timestamp": 5}]]}), on(kv, None, {"map": [["d", {"decimal": "1.5"}]]})],
        )
        parent_default = {
            "type": "struct",
            "fields": [
                {
                    "name": "p",
                    "schema": {
                        "type": "struct",
                        "optional": True,
                        "fields": [{"name": "x", "schema": "string"}, {"name": "y", "schema": "int32?"}],
                        "default": {"struct": [["x", "dx"], ["y", {"int32": 4}]]},
                    },
                }
            ],
        }
        c.add(f"flatten-{kv}-parent-default", cls, {}, [on(kv, parent_default, {"struct": [["p", None]]})])


def header_from_cases(c: Cases) -> None:
    for kv in KV:
        cls = T + "HeaderFrom$" + kv
        for op in ("move", "copy"):
            c.add(
                f"headerfrom-{kv}-{op}",
                cls,
                {"fields": "name,age,inner", "headers": "h1,h2,h3", "operation": op},
                [on(kv, PERSON, PERSON_VALUE, headers=[["old", "string", "o"]]), on(kv, PERSON, PERSON_NULLS)],
            )
            c.add(
                f"headerfrom-{kv}-{op}-default",
                cls,
                {"fields": "dflt", "headers": "d", "operation": op},
                [on(kv, PERSON, PERSON_VALUE)],
            )
            c.add(
                f"headerfrom-{kv}-{op}-nodefault",
                cls,
                {"fields": "dflt", "headers": "d", "operation": op, "replace.null.with.default": "false"},
                [on(kv, PERSON, PERSON_VALUE)],
            )
            c.add(
                f"headerfrom-{kv}-{op}-schemaless",
                cls,
                {"fields": "name,inner,missing,name", "headers": "a,b,c,d", "operation": op},
                [on(kv, None, MAP_VALUE)],
            )
            c.add(
                f"headerfrom-{kv}-{op}-missing-field",
                cls,
                {"fields": "nope", "headers": "n", "operation": op},
                [on(kv, PERSON, PERSON_VALUE)],
            )
            c.add(
                f"headerfrom-{kv}-{op}-bad-values",
                cls,
                {"fields": "a", "headers": "b", "operation": op},
                [on(kv, None, None), on(kv, None, "s"), on(kv, "string", "s"), on(kv, "string?", None)],
            )
    cls = T + "HeaderFrom$Value"
    for i, cfg in enumerate(
        [
            {"fields": "a,b", "headers": "x", "operation": "move"},
            {"fields": "", "headers": "x", "operation": "move"},
            {"fields": "a", "headers": "", "operation": "copy"},
            {"fields": "a", "headers": "x", "operation": "rename"},
            {"fields": "a", "headers": "x"},
            {"fields": "a", "headers": "x", "operation": "MOVE"},
        ]
    ):
        c.add(f"headerfrom-config-{i}", cls, cfg, [])


def hoist_cases(c: Cases) -> None:
    for kv in KV:
        cls = T + "HoistField$" + kv
        c.add(
            f"hoist-{kv}",
            cls,
            {"field": "wrapped"},
            [
                on(kv, PERSON, PERSON_VALUE),
                on(kv, "int32", {"int32": 5}),
                on(kv, "string?", None),
                on(kv, None, MAP_VALUE),
                on(kv, None, "plain"),
                on(kv, None, None),
                on(kv, "int32", {"int32": 6}),
                on(kv, {"type": "array", "items": "string"}, {"array": ["a"]}),
            ],
        )
        c.add(f"hoist-{kv}-required-null", cls, {"field": "f"}, [on(kv, "string", None)])
    c.add("hoist-config-missing", T + "HoistField$Value", {}, [])
    c.add("hoist-empty-name", T + "HoistField$Value", {"field": ""}, [val("string", "x"), val(None, "y")])


def insert_field_cases(c: Cases) -> None:
    full = {
        "topic.field": "t",
        "partition.field": "p",
        "timestamp.field": "ts",
        "static.field": "s",
        "static.value": "sv",
    }
    required = {
        "topic.field": "t!",
        "partition.field": "p!",
        "timestamp.field": "ts!",
        "static.field": "s!",
        "static.value": "sv",
        "offset.field": "o!",
    }
    for kv in KV:
        cls = T + "InsertField$" + kv
        records = [
            on(kv, PERSON, PERSON_VALUE, timestamp=1700000000000, partition=3, topic="tp"),
            on(kv, PERSON, PERSON_NULLS),
            on(kv, None, MAP_VALUE, timestamp=5, partition=1),
            on(kv, None, MAP_VALUE),
            on(kv, None, None),
            on(kv, PERSON, None),
        ]
        c.add(f"insertfield-{kv}-source", cls, full, records)
        c.add(
            f"insertfield-{kv}-sink",
            cls,
            {**full, "offset.field": "o?"},
            [{**r, "kind": "sink", "offset": 99} for r in records],
        )
        c.add(f"insertfield-{kv}-offset-on-source", cls, {"offset.field": "o"}, records[:3])
        c.add(
            f"insertfield-{kv}-required",
            cls,
            required,
            [
                {**on(kv, PERSON, PERSON_VALUE, timestamp=10, partition=2), "kind": "sink", "offset": 4},
                {**on(kv, PERSON, PERSON_VALUE), "kind": "sink"},
                {**on(kv, None, MAP_VALUE), "kind": "sink"},
            ],
        )
        c.add(
            f"insertfield-{kv}-nodefault",
            cls,
            {"topic.field": "t", "replace.null.with.default": "false"},
            [on(kv, PERSON, PERSON_VALUE)],
        )
        c.add(f"insertfield-{kv}-not-struct", cls, {"topic.field": "t"}, [on(kv, "string", "x"), on(kv, None, "x")])
        c.add(
            f"insertfield-{kv}-existing-field",
            cls,
            {"topic.field": "name"},
            [on(kv, PERSON, PERSON_VALUE), on(kv, None, MAP_VALUE)],
        )
    cls = T + "InsertField$Value"
    c.add("insertfield-config-none", cls, {}, [])
    c.add("insertfield-config-static-no-value", cls, {"static.field": "s"}, [])
    c.add("insertfield-static-value-only", cls, {"static.value": "v"}, [])
    c.add("insertfield-question-only", cls, {"topic.field": "?"}, [val(None, {"map": []})])


def insert_header_cases(c: Cases) -> None:
    cls = T + "InsertHeader"
    literals = [
        "hello",
        "",
        "42",
        "-129",
        "3.5",
        "1e400",
        "true",
        "FALSE",
        "null",
        "[1,2,3]",
        '[1,"a"]',
        '{"a":1,"b":2}',
        "{a:1}",
        "2024-01-02",
        "12:34:56.789Z",
        "2024-01-02T03:04:05.006Z",
        "  spaced  ",
        '"quoted"',
        "9223372036854775808",
        "[",
        "{}",
        "[]",
    ]
    for i, lit in enumerate(literals):
        c.add(
            f"insertheader-{i}",
            cls,
            {"header": "h", "value.literal": lit},
            [rec(headers=[["h", "string", "old"]]), rec()],
        )
    c.add("insertheader-config-missing-literal", cls, {"header": "h"}, [])
    c.add("insertheader-config-missing-header", cls, {"value.literal": "x"}, [])
    c.add("insertheader-config-null", cls, {"header": "h", "value.literal": None}, [])


def mask_cases(c: Cases) -> None:
    mask_schema = {
        "type": "struct",
        "fields": [
            {"name": "i8", "schema": "int8"},
            {"name": "i16", "schema": "int16"},
            {"name": "i32", "schema": "int32"},
            {"name": "i64", "schema": "int64"},
            {"name": "f32", "schema": "float32"},
            {"name": "f64", "schema": "float64"},
            {"name": "b", "schema": "boolean"},
            {"name": "s", "schema": "string"},
            {"name": "dec", "schema": {"logical": "decimal", "scale": 2}},
            {"name": "d", "schema": {"logical": "date"}},
            {"name": "ts", "schema": {"logical": "timestamp"}},
            {"name": "arr", "schema": {"type": "array", "items": "int32"}},
            {"name": "m", "schema": {"type": "map", "keys": "string", "values": "int32"}},
            {"name": "opt", "schema": "string?"},
            {"name": "bin", "schema": "bytes?"},
            {
                "name": "nested",
                "schema": {"type": "struct", "optional": True, "fields": [{"name": "x", "schema": "int32"}]},
            },
            {"name": "withdef", "schema": {"type": "string", "optional": True, "default": "dv"}},
        ],
    }
    mask_value = {
        "struct": [
            ["i8", {"int8": 8}],
            ["i16", {"int16": 16}],
            ["i32", {"int32": 32}],
            ["i64", {"int64": 64}],
            ["f32", {"float32": "3.5"}],
            ["f64", {"float64": "6.5"}],
            ["b", {"boolean": True}],
            ["s", "secret"],
            ["dec", {"decimal": "12.34"}],
            ["d", {"date": 100}],
            ["ts", {"timestamp": 12345}],
            ["arr", {"array": [{"int32": 1}]}],
            ["m", {"map": [["k", {"int32": 1}]]}],
            ["opt", None],
            ["bin", {"bytes": "AQI="}],
            ["nested", {"struct": [["x", {"int32": 1}]]}],
            ["withdef", None],
        ]
    }
    simple = "i8,i16,i32,i64,f32,f64,b,s,dec,d,ts,arr,m,opt,withdef"
    numeric = "i8,i16,i32,i64,f32,f64,s,dec,opt"
    for kv in KV:
        cls = T + "MaskField$" + kv
        c.add(f"mask-{kv}-all", cls, {"fields": simple}, [on(kv, mask_schema, mask_value)])
        c.add(
            f"mask-{kv}-all-nodefault",
            cls,
            {"fields": "withdef", "replace.null.with.default": "false"},
            [on(kv, mask_schema, mask_value)],
        )
        for r in ("123", "-1.5", "300", "1e2", "abc", "99999999999"):
            c.add(
                f"mask-{kv}-replacement-{r}",
                cls,
                {"fields": numeric, "replacement": r},
                [on(kv, mask_schema, mask_value)],
            )
        for f in ("bin", "nested", "b", "d"):
            c.add(f"mask-{kv}-unmaskable-{f}", cls, {"fields": f}, [on(kv, mask_schema, mask_value)])
            c.add(
                f"mask-{kv}-unmaskable-{f}-repl",
                cls,
                {"fields": f, "replacement": "1"},
                [on(kv, mask_schema, mask_value)],
            )
        c.add(
            f"mask-{kv}-schemaless",
            cls,
            {"fields": "name,age,score,active,tags,inner,none,missing"},
            [on(kv, None, MAP_VALUE)],
        )
        c.add(
            f"mask-{kv}-schemaless-replacement",
            cls,
            {"fields": "name,age,score,none", "replacement": "777"},
            [on(kv, None, MAP_VALUE)],
        )
        c.add(f"mask-{kv}-schemaless-bytes", cls, {"fields": "raw"}, [on(kv, None, MAP_VALUE)])
        c.add(
            f"mask-{kv}-schemaless-bool-repl", cls, {"fields": "active", "replacement": "x"}, [on(kv, None, MAP_VALUE)]
        )
        c.add(
            f"mask-{kv}-bad-values",
            cls,
            {"fields": "a"},
            [on(kv, None, None), on(kv, None, "s"), on(kv, "string", "s")],
        )
    cls = T + "MaskField$Value"
    for i, cfg in enumerate([{"fields": ""}, {"fields": "a,a"}, {"fields": "a", "replacement": ""}, {}]):
        c.add(f"mask-config-{i}", cls, cfg, [])


def regex_router_cases(c: Cases) -> None:
    cls = T + "RegexRouter"
    topics = ["orders", "orders-v1", "prod.orders.v2", "x", "", "ORDERS", "a.b.c"]
    for i, (regex, repl) in enumerate(
        [
            ("(.*)", "$1-copy"),
            ("orders-v(\\d+)", "orders_$1"),
            ("(\\w+)\\.(\\w+)\\.v(\\d)", "$3:$2:$1"),
            ("orders", "renamed"),
            (".*", ""),
            ("(?<name>[a-z]+)-v1", "${name}-one"),
            ("(a)(b)?", "[$2]"),
            ("a*?", "Z"),
            ("(o)(r)(d)(e)(r)(s)(-)(v)(1)(x)?", "$10|$11|$1"),
            ("(.*)", "\\$1"),
            ("(.*)", "$2"),
            ("(?i)orders", "ci"),
            ("[a-z.]+", "lower"),
            ("\\Qprod.orders\\E.*", "quoted"),
            ("(.)\\.(.)\\.(.)", "$3$2$1"),
        ]
    ):
        c.add(f"regexrouter-{i}", cls, {"regex": regex, "replacement": repl}, [rec(topic=t) for t in topics])
    c.add(
        "regexrouter-keeps-record",
        cls,
        {"regex": "t(.*)", "replacement": "T$1"},
        [{**on("Value", PERSON, PERSON_VALUE), "topic": "topic", "headers": [["h", "string", "v"]], "timestamp": 7}],
    )
    for i, cfg in enumerate([{"regex": "(", "replacement": "x"}, {"regex": "x"}, {"replacement": "x"}]):
        c.add(f"regexrouter-config-{i}", cls, cfg, [])


def replace_field_cases(c: Cases) -> None:
    configs = [
        {"exclude": "age,inner"},
        {"include": "name,age,dflt"},
        {"renames": "name:full_name,age:years"},
        {"include": "name,age", "exclude": "age"},
        {"include": "name", "renames": "name:n,missing:m"},
        {"exclude": "", "include": ""},
        {"renames": "name:age,age:name"},
        {"include": "dflt", "replace.null.with.default": "false"},
        {"whitelist": "name", "blacklist": "age"},
        {"include": "nope"},
    ]
    for kv in KV:
        cls = T + "ReplaceField$" + kv
        for i, cfg in enumerate(configs):
            c.add(
                f"replacefield-{kv}-{i}",
                cls,
                cfg,
                [
                    on(kv, PERSON, PERSON_VALUE),
                    on(kv, PERSON, PERSON_NULLS),
                    on(kv, None, MAP_VALUE),
                    on(kv, None, None),
                ],
            )
        c.add(f"replacefield-{kv}-not-struct", cls, {"exclude": "a"}, [on(kv, "string", "s"), on(kv, None, "s")])
    cls = T + "ReplaceField$Value"
    for i, cfg in enumerate(
        [
            {"renames": "a"},
            {"renames": "a:b:c"},
            {"renames": "a:b,c"},
            {"exclude": "a,a"},
            {"include": "a,,b"},
            {"renames": ":b"},
            {"renames": "a:"},
        ]
    ):
        c.add(f"replacefield-config-{i}", cls, cfg, [val(None, {"map": [["a", "1"], ["", "2"]]})])


def set_schema_metadata_cases(c: Cases) -> None:
    for kv in KV:
        cls = T + "SetSchemaMetadata$" + kv
        records = [
            on(kv, PERSON, PERSON_VALUE),
            on(kv, PERSON, PERSON_NULLS),
            on(kv, "string", "plain"),
            on(kv, {"type": "map", "keys": "string", "values": "int32"}, {"map": [["a", {"int32": 1}]]}),
            on(kv, {"type": "array", "items": "int32", "optional": True}, {"array": [{"int32": 1}]}),
            on(kv, None, None),
            on(kv, None, MAP_VALUE),
            on(kv, "string?", None),
        ]
        c.add(f"setschema-{kv}-name", cls, {"schema.name": "com.example.New"}, records)
        c.add(f"setschema-{kv}-version", cls, {"schema.version": "7"}, records)
        c.add(f"setschema-{kv}-both", cls, {"schema.name": "n", "schema.version": "-1"}, records)
        c.add(f"setschema-{kv}-nodefault", cls, {"schema.name": "n", "replace.null.with.default": "false"}, records[:2])
    cls = T + "SetSchemaMetadata$Value"
    c.add("setschema-config-none", cls, {}, [])
    c.add("setschema-config-bad-version", cls, {"schema.version": "x"}, [])
    c.add("setschema-config-big-version", cls, {"schema.version": "99999999999"}, [])


def timestamp_converter_cases(c: Cases) -> None:
    millis = [0, 1, 999, 86399999, 86400000, 1700000000123, -1, -86400001, 951782400000, 253402300799999]
    ts_schema = {"logical": "timestamp"}
    for kv in KV:
        cls = T + "TimestampConverter$" + kv
        for target in ("string", "unix", "Date", "Time", "Timestamp"):
            fmt = {"format": "yyyy-MM-dd'T'HH:mm:ss.SSSZ"} if target == "string" else {}
            c.add(
                f"tsconv-{kv}-ts-to-{target}",
                cls,
                {"target.type": target, **fmt},
                [on(kv, ts_schema, {"timestamp": m}) for m in millis]
                + [on(kv, {"logical": "timestamp", "optional": True}, None)],
            )
            c.add(
                f"tsconv-{kv}-unix-to-{target}",
                cls,
                {"target.type": target, **fmt},
                [on(kv, "int64", {"int64": m}) for m in millis] + [on(kv, None, {"int64": 1234})],
            )
            c.add(
                f"tsconv-{kv}-date-to-{target}",
                cls,
                {"target.type": target, **fmt},
                [on(kv, {"logical": "date"}, {"date": d}) for d in (0, 1, -1, 19000)],
            )
            c.add(
                f"tsconv-{kv}-time-to-{target}",
                cls,
                {"target.type": target, **fmt},
                [on(kv, {"logical": "time"}, {"time": t}) for t in (0, 1, 3723004, 86399999)],
            )
            c.add(
                f"tsconv-{kv}-string-to-{target}",
                cls,
                {"target.type": target, "format": "yyyy-MM-dd HH:mm:ss"},
                [
                    on(kv, "string", s)
                    for s in (
                        "2024-02-29 13:14:15",
                        "1970-01-01 00:00:00",
                        "2024-13-45 25:61:61",
                        "2024-02-29 13:14:15 trailing",
                        "2024-02-29",
                        "not a date",
                        "  2024-02-29 13:14:15",
                        "99999-01-01 00:00:00",
                    )
                ],
            )
            schema_fields = {
                "type": "struct",
                "name": "WithTs",
                "optional": True,
                "fields": [
                    {"name": "ts", "schema": {"logical": "timestamp", "optional": True}},
                    {"name": "other", "schema": "string"},
                ],
            }
            c.add(
                f"tsconv-{kv}-field-{target}",
                cls,
                {"target.type": target, "field": "ts", **fmt},
                [
                    on(kv, schema_fields, {"struct": [["ts", {"timestamp": 1700000000123}], ["other", "o"]]}),
                    on(kv, schema_fields, {"struct": [["ts", None], ["other", "o"]]}),
                    on(kv, schema_fields, None),
                    on(kv, None, {"map": [["ts", {"int64": 1700000000123}], ["other", "o"]]}),
                    on(kv, None, {"map": [["ts", "2024-01-01T00:00:00.000+0000"]]}),
                    on(kv, None, {"map": [["other", "o"]]}),
                    on(kv, None, None),
                ],
            )
        for prec in ("seconds", "microseconds", "nanoseconds", "milliseconds"):
            c.add(
                f"tsconv-{kv}-precision-{prec}",
                cls,
                {"target.type": "unix", "unix.precision": prec},
                [on(kv, ts_schema, {"timestamp": m}) for m in (0, 1700000000123, -1500, 1)],
            )
            c.add(
                f"tsconv-{kv}-from-precision-{prec}",
                cls,
                {"target.type": "Timestamp", "unix.precision": prec},
                [on(kv, "int64", {"int64": n}) for n in (0, 1700000000123456789, -1500, 1999, -1999)],
            )
        c.add(
            f"tsconv-{kv}-schemaless-types",
            cls,
            {"target.type": "unix"},
            [on(kv, None, {"boolean": True}), on(kv, None, {"float64": "1.5"}), on(kv, None, "2020")],
        )
        c.add(
            f"tsconv-{kv}-bad-schema",
            cls,
            {"target.type": "unix"},
            [on(kv, "int32", {"int32": 5}), on(kv, {"type": "string", "name": "x.Y"}, "s")],
        )
        c.add(
            f"tsconv-{kv}-struct-default",
            cls,
            {"target.type": "unix", "field": "ts"},
            [
                on(
                    kv,
                    {
                        "type": "struct",
                        "optional": True,
                        "fields": [{"name": "ts", "schema": {"logical": "timestamp"}}],
                        "default": {"struct": [["ts", {"timestamp": 42}]]},
                    },
                    {"struct": [["ts", {"timestamp": 43}]]},
                )
            ],
        )
    cls = T + "TimestampConverter$Value"
    formats = [
        "yyyy-MM-dd",
        "yyyyMMdd",
        "yyyyMMddHHmmssSSS",
        "dd/MM/yy hh:mm a",
        "EEE, d MMM yyyy HH:mm:ss Z",
        "EEEE MMMM dd yyyy",
        "'T'HH'h'mm",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "yyyy-MM-dd'T'HH:mm:ssX",
        "D 'day' F w W u k K",
        "G yyyy",
        "h:mm:ss.S",
        "''yyyy''",
        "MMM",
        "z zzzz",
        "y",
        "yyyyy",
        "S SS SSSS",
    ]
    stamps = [0, 1700000000123, 951782400000, 1704067199999, 1704067200000, 1230681600000, 43200000, 1000]
    for i, fmt in enumerate(formats):
        c.add(
            f"tsconv-format-{i}",
            cls,
            {"target.type": "string", "format": fmt},
            [val({"logical": "timestamp"}, {"timestamp": s}) for s in stamps],
        )
    parse_cases = [
        (
            "yyyy-MM-dd",
            ["2024-03-01", "2024-3-1", "2024-02-30", "24-03-01", "2024/03/01", "2024-03-01x", "+2024-03-01"],
        ),
        ("yyyyMMdd", ["20240301", "2024031", "202403011", "2024 03 01"]),
        ("dd/MM/yyyy HH:mm", ["01/02/2024 10:30", "1/2/2024 7:5", "31/12/1999 23:59", "01/02/2024"]),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
            ["2024-01-01T10:00:00.000+0200", "2024-01-01T10:00:00.5-0130", "2024-01-01T10:00:00.000Z"],
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ssXXX",
            ["2024-01-01T10:00:00Z", "2024-01-01T10:00:00+05:30", "2024-01-01T10:00:00-08:00"],
        ),
        (
            "MMM d, yyyy h:mm a",
            ["Mar 5, 2024 1:05 PM", "March 5, 2024 12:00 AM", "mar 5, 2024 12:30 pm", "Mar 5, 2024 13:00 PM"],
        ),
        (
            "EEE, dd MMM yyyy HH:mm:ss z",
            ["Tue, 05 Mar 2024 10:00:00 UTC", "Tue, 05 Mar 2024 10:00:00 GMT", "Tue, 05 Mar 2024 10:00:00 GMT+01:00"],
        ),
        ("HH:mm:ss", ["10:00:00", "25:00:00", "00:00:60"]),
        ("yyyy-MM-dd HH:mm:ss.SSS", ["2024-01-01 00:00:00.5", "2024-01-01 00:00:00.05", "2024-01-01 00:00:00.1234"]),
        ("D yyyy", ["60 2024", "366 2023"]),
    ]
    for i, (fmt, texts) in enumerate(parse_cases):
        c.add(
            f"tsconv-parse-{i}",
            cls,
            {"target.type": "unix", "format": fmt},
            [val("string", t) for t in texts],
        )
    for i, cfg in enumerate(
        [
            {"target.type": "string"},
            {"target.type": "string", "format": "  "},
            {"target.type": "bogus"},
            {"target.type": "unix", "format": "yyyy-qq"},
            {"target.type": "unix", "format": "'unterminated"},
            {"target.type": "unix", "unix.precision": "minutes"},
            {},
            {"target.type": "timestamp"},
            {"target.type": "unix", "format": "XXXX"},
        ]
    ):
        c.add(f"tsconv-config-{i}", cls, cfg, [])


def timestamp_router_cases(c: Cases) -> None:
    cls = T + "TimestampRouter"
    records = [rec(topic="orders", timestamp=t) for t in (0, 1700000000123, 951782400000, 1704067199999, -86400000)]
    records.append(rec(topic="orders"))
    records.append({"kind": "sink", "topic": "s", "partition": 2, "offset": 5, "key": "k", "key_schema": "string"})
    configs = [
        {},
        {"timestamp.format": "yyyy-MM-dd_HH"},
        {"topic.format": "${timestamp}"},
        {"topic.format": "x-${topic}-${topic}"},
        {"topic.format": "static"},
        {"timestamp.format": "yyyy'Q'MM"},
        {"timestamp.format": "EEE-MMM-yy"},
        {"timestamp.format": "bad-qq"},
        {"topic.format": "${topic}$1\\${timestamp}", "timestamp.format": "w-W-D"},
    ]
    for i, cfg in enumerate(configs):
        c.add(f"tsrouter-{i}", cls, cfg, records)
    c.add("tsrouter-topic-has-placeholder", cls, {}, [rec(topic="a${timestamp}", timestamp=0)])
    c.add(
        "tsrouter-missing-with-headers",
        cls,
        {},
        [rec(topic="o", key="k", key_schema="string", headers=[["h", "int32", {"int32": 1}]])],
    )


def value_to_key_cases(c: Cases) -> None:
    cls = T + "ValueToKey"
    for i, cfg in enumerate(
        [
            {"fields": "name"},
            {"fields": "name,age,inner"},
            {"fields": "dflt"},
            {"fields": "dflt", "replace.null.with.default": "false"},
            {"fields": "missing"},
            {"fields": "age,name"},
        ]
    ):
        c.add(
            f"valuetokey-{i}",
            cls,
            cfg,
            [
                val(PERSON, PERSON_VALUE, key="old", key_schema="string"),
                val(PERSON, PERSON_NULLS),
                val(None, MAP_VALUE),
                val(None, None),
                val("string", "s"),
                val(None, "s"),
            ],
        )
    for i, cfg in enumerate([{"fields": ""}, {"fields": "a,a"}, {}, {"fields": "a,,b"}]):
        c.add(f"valuetokey-config-{i}", cls, cfg, [])


def filter_cases(c: Cases) -> None:
    c.add("filter", T + "Filter", {}, [rec(), val(PERSON, PERSON_VALUE), val(None, None)])
    c.add("filter-ignores-config", T + "Filter", {"anything": "x"}, [rec()])


def predicate_cases(c: Cases) -> None:
    topics = ["orders", "orders-v1", "prod.orders", "", "ORDERS", "x.orders.y"]
    for i, pattern in enumerate(
        ["orders", "orders.*", ".*orders.*", "(?i)orders", "[a-z]+", "prod\\.orders", "orders|prod\\..*", "a*?", "ord"]
    ):
        c.pred(f"topicmatches-{i}", P + "TopicNameMatches", {"pattern": pattern}, [rec(topic=t) for t in topics])
    for i, cfg in enumerate([{"pattern": ""}, {"pattern": "("}, {}, {"pattern": "[a-"}]):
        c.pred(f"topicmatches-config-{i}", P + "TopicNameMatches", cfg, [])
    headers = [["a", "string", "1"], ["b", None, None], ["a", "int32", {"int32": 2}]]
    for name in ("a", "b", "c", "A"):
        c.pred(f"hasheaderkey-{name}", P + "HasHeaderKey", {"name": name}, [rec(headers=headers), rec()])
    c.pred("hasheaderkey-config-empty", P + "HasHeaderKey", {"name": ""}, [])
    c.pred("hasheaderkey-config-missing", P + "HasHeaderKey", {}, [])
    c.pred(
        "tombstone",
        P + "RecordIsTombstone",
        {},
        [rec(), val("string", "x"), val("string?", None), key("string", "k"), val(None, {"map": []}), val(None, "")],
    )


ALL_TRANSFORMS = [
    "Cast$Key",
    "Cast$Value",
    "DropHeaders",
    "ExtractField$Key",
    "ExtractField$Value",
    "Filter",
    "Flatten$Key",
    "Flatten$Value",
    "HeaderFrom$Key",
    "HeaderFrom$Value",
    "HoistField$Key",
    "HoistField$Value",
    "InsertField$Key",
    "InsertField$Value",
    "InsertHeader",
    "MaskField$Key",
    "MaskField$Value",
    "RegexRouter",
    "ReplaceField$Key",
    "ReplaceField$Value",
    "SetSchemaMetadata$Key",
    "SetSchemaMetadata$Value",
    "TimestampConverter$Key",
    "TimestampConverter$Value",
    "TimestampRouter",
    "ValueToKey",
]
ALL_PREDICATES = ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"]


def cases() -> list[dict[str, Any]]:
    c = Cases()
    for name in ALL_TRANSFORMS:
        c.items.append({"case": "describe-" + name, "describe": T + name})
    for name in ALL_PREDICATES:
        c.items.append({"case": "describe-" + name, "describe": P + name})
    for fn in (
        cast_cases,
        drop_headers_cases,
        extract_cases,
        filter_cases,
        flatten_cases,
        header_from_cases,
        hoist_cases,
        insert_field_cases,
        insert_header_cases,
        mask_cases,
        regex_router_cases,
        replace_field_cases,
        set_schema_metadata_cases,
        timestamp_converter_cases,
        timestamp_router_cases,
        value_to_key_cases,
        predicate_cases,
    ):
        fn(c)
    return c.items


if __name__ == "__main__":
    json.dump(cases(), sys.stdout, ensure_ascii=False)

"""Seeded generators of malformed bodies: real fixtures broken the ways networks and attackers
break them (bytes flipped or cut, values of the wrong type, deep nesting, lone surrogates,
odd encodings, DTDs)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

# Values that have broken parsers before: wrong types, extremes, text no database accepts.
NASTY_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 2**63, 10**40, 1.5, float("inf"), "", " ", "\x00", "\ud800",
    "\udcff", "a\ud83d", "𝕏" * 5000, "9" * 400, "\u202e", [], {}, [[[[[]]]]], {"a": {"b": {}}},
    "<script>", "' OR 1=1 --", "../../etc/passwd", "%s%s%s", "\r\n\r\n", "０１２３",
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for index in range(depth):
        value = [value] if index % 2 else {"a": value}
    return value


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if len(path) > 12:  # an earlier mutation nested it: do not walk into that
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return data


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return data


def mutate_json(document: Any, rng: random.Random) -> bytes:
    """One broken version of a JSON document."""
    data = json.loads(json.dumps(document))
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(data))
        path = rng.choice(paths)
        choice = rng.random()
        if choice < 0.55:
            value = rng.choice(NASTY_VALUES)
            value = _nested(rng.choice((40, 200, 600))) if rng.random() < 0.1 else value
            data = _set(data, path, value)
        elif choice < 0.8 and path:
            data = _delete(data, path)
        elif isinstance(data, dict):
            data[rng.choice(["entry", "update_id", "message", "text", "zz"])] = rng.choice(
                NASTY_VALUES
            )
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


def mutate_bytes(body: bytes, rng: random.Random) -> bytes:
    """One broken version of any body, at the byte level."""
    choice = rng.random()
    data = bytearray(body)
    if choice < 0.25 and data:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if choice < 0.45:
        return bytes(data[: rng.randrange(len(data) + 1)])
    if choice < 0.6:
        cut = rng.randrange(len(data) + 1)
        return bytes(data[:cut]) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) \
            + bytes(data[cut:])
    if choice < 0.7:
        return rng.choice([b"", b" ", b"\x00" * 64, b"\xff\xfe\x00", b"null", b"[]", b"{}", b"1"])
    if choice < 0.8:
        return body.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-32", "gbk"]),
                                                       "replace")
    if choice < 0.9:
        return b"[" * 50000 + b"]" * 50000
    return body * rng.randint(2, 5)


def mutate_xml(xml: str, rng: random.Random) -> bytes:
    """One broken version of a WeChat push (plain XML)."""
    choice = rng.random()
    if choice < 0.15:
        encoding = rng.choice(["x-unknown", "utf-16", "gb2312", "ascii", "latin-1"])
        xml = xml.replace("<xml>", f'<?xml version="1.0" encoding="{encoding}"?><xml>', 1)
    elif choice < 0.3:
        xml = '<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + xml
    elif choice < 0.55:
        fields = ["MsgType", "CreateTime", "MsgId", "FromUserName", "Content", "Event",
                  "Location_X", "Scale", "EventKey"]
        field = rng.choice(fields)
        value = str(rng.choice(NASTY_VALUES))
        start = xml.find(f"<{field}>")
        end = xml.find(f"</{field}>")
        if start != -1 and end != -1:
            xml = xml[:start] + f"<{field}><![CDATA[{value}]]>" + xml[end:]
        else:
            xml = xml.replace("</xml>", f"<{field}>{value}</{field}></xml>")
    elif choice < 0.7:
        xml = xml.replace("</xml>", "<a><b><c>" * 300 + "</c></b></a>" * 300 + "</xml>")
    else:
        return mutate_bytes(xml.encode("utf-8"), rng)
    return xml.encode("utf-8", "surrogatepass")


Mutator = Callable[[random.Random], bytes]

"""WeChat's flat XML, read safely and written with CDATA.

Bodies come from the network, so DTDs are refused outright: no entity expansion (billion
laughs) and no external entities, whatever the encoding the body declares.
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers import expat

from bot.core.errors import PayloadError

# Checked on the raw bytes first; the parser handlers below catch other encodings.
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def read_fields(body: bytes) -> dict[str, str]:
    """The text of each child of the root element; PayloadError if the body is not safe XML."""
    if not body.strip():
        raise PayloadError("empty body")
    if _FORBIDDEN.search(body):
        raise PayloadError("XML with a DTD or entities is refused")
    fields: dict[str, str] = {}
    stack: list[str] = []
    text: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        stack.append(name)
        if len(stack) == 2:
            text.clear()

    def end(name: str) -> None:
        if len(stack) == 2:
            fields.setdefault(name, "".join(text))
        stack.pop()

    def characters(data: str) -> None:
        if len(stack) == 2:
            text.append(data)

    def refuse(*args: object) -> Any:
        raise PayloadError("XML with a DTD or entities is refused")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(body, True)
    except PayloadError:
        raise
    except (expat.ExpatError, ValueError, UnicodeError, LookupError) as error:
        # LookupError: an XML declaration naming an encoding Python does not know.
        raise PayloadError(f"not well-formed XML: {error}") from None
    return fields


def cdata(value: str) -> str:
    """`value` as CDATA; a `]]>` inside is split across two sections."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_fields(fields: dict[str, str | int]) -> str:
    """A `<xml>` document of the fields: strings as CDATA, integers bare."""
    parts = ["<xml>"]
    for name, value in fields.items():
        inner = str(value) if isinstance(value, int) else cdata(value)
        parts.append(f"<{name}>{inner}</{name}>")
    parts.append("</xml>")
    return "".join(parts)

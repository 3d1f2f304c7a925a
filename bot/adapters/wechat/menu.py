"""The official account's custom menu (自定义菜单) from a TOML file: checked against WeChat's
limits, set, read back and deleted through the menu API (docs/platforms.md §1.11).

A file holds 1-3 `[[button]]` tables, each either an entry or a group of 1-5
`[[button.sub_button]]` entries. An entry with `key` is a click (the bot gets the key, and
handles it like a button with that id); with `url` it opens a web page; other WeChat types
(`miniprogram`, `scancode_push` …) are written with `type` and their own fields.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp

from bot.adapters.wechat.api import TOKEN_ERRORS, AccessTokens
from bot.core.errors import DataError, OutboundError
from bot.core.http import call_json

CREATE_PATH = "/cgi-bin/menu/create"
GET_PATH = "/cgi-bin/menu/get"
DELETE_PATH = "/cgi-bin/menu/delete"
NO_MENU = 46003  # "menu no exist"
MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
NAME_BYTES = 16  # a top-level title; 60 for an entry of a group
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
KEYED = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
         "pic_weixin", "location_select"}
FIELDS = {"type", "name", "key", "url", "appid", "pagepath", "media_id", "article_id"}


def read_menu(text: str) -> dict[str, Any]:
    """The menu API's JSON for a menu file; DataError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"not valid TOML ({error})") from None
    problems: list[str] = []
    unknown = set(data) - {"button"}
    if unknown:
        problems.append(f"unknown table {sorted(unknown)[0]!r}: write [[button]] tables")
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        problems.append(f"write 1 to {MAX_BUTTONS} [[button]] tables")
        raise DataError(problems)
    menu = [_button(entry, f"button[{index}]", problems) for index, entry in enumerate(buttons)]
    keys = [key for key, _ in titles_of({"button": menu})]
    problems.extend(f"key {key!r} is used twice" for key in sorted(set(keys))
                    if keys.count(key) > 1)
    if problems:
        raise DataError(problems)
    return {"button": menu}


def _button(entry: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a table")
        return {}
    subs = entry.get("sub_button")
    if subs is None:
        return _entry(entry, where, NAME_BYTES, problems)
    name = _name(entry, where, NAME_BYTES, problems)
    extra = set(entry) - {"name", "sub_button"}
    if extra:
        problems.append(f"{where}: a group has only a name and its entries, not {sorted(extra)}")
    if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
        problems.append(f"{where}: write 1 to {MAX_SUB_BUTTONS} [[button.sub_button]] entries")
        return {"name": name, "sub_button": []}
    return {"name": name, "sub_button": [
        _entry(sub, f"{where}.sub_button[{index}]", SUB_NAME_BYTES, problems)
        if isinstance(sub, dict) else _not_table(f"{where}.sub_button[{index}]", problems)
        for index, sub in enumerate(subs)
    ]}


def _not_table(where: str, problems: list[str]) -> dict[str, Any]:
    problems.append(f"{where}: must be a table")
    return {}


def _name(entry: Mapping[str, Any], where: str, limit: int, problems: list[str]) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: needs a name")
        return ""
    if len(name.encode("utf-8")) > limit:
        problems.append(f"{where}: name {name!r} is over {limit} bytes"
                        f" ({len(name.encode('utf-8'))}; a Chinese character is 3)")
    return name


def _entry(
    entry: Mapping[str, Any], where: str, limit: int, problems: list[str]
) -> dict[str, Any]:
    name = _name(entry, where, limit, problems)
    unknown = set(entry) - FIELDS
    if unknown:
        problems.append(f"{where}: unknown field {sorted(unknown)[0]!r}")
    kind = entry.get("type") or ("click" if "key" in entry else "view" if "url" in entry else "")
    if not kind:
        problems.append(f"{where}: give a key (a click the bot answers) or a url (a web page)")
        return {"name": name}
    found: dict[str, Any] = {"type": kind, "name": name}
    for field in ("key", "url", "appid", "pagepath", "media_id", "article_id"):
        if field in entry:
            if not isinstance(entry[field], str) or not entry[field]:
                problems.append(f"{where}: {field} must be a text")
            found[field] = entry[field]
    if kind in KEYED and not found.get("key"):
        problems.append(f"{where}: a {kind} entry needs a key")
    if kind in ("view", "miniprogram") and not found.get("url"):
        problems.append(f"{where}: a {kind} entry needs a url")
    if kind == "miniprogram" and not (found.get("appid") and found.get("pagepath")):
        problems.append(f"{where}: a miniprogram entry needs appid and pagepath")
    for field, cap in (("key", KEY_BYTES), ("url", URL_BYTES)):
        value = found.get(field)
        if isinstance(value, str) and len(value.encode("utf-8")) > cap:
            problems.append(f"{where}: {field} is over {cap} bytes")
    return found


def titles_of(menu: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(key, title) of every entry that sends the bot a key."""
    for button in menu.get("button", []):
        for entry in button.get("sub_button") or [button]:
            if isinstance(entry, dict) and entry.get("key"):
                yield str(entry["key"]), str(entry.get("name", ""))


def describe(menu: Mapping[str, Any]) -> list[str]:
    """The menu as lines for a terminal."""
    lines = []
    for button in menu.get("button", []):
        subs = button.get("sub_button") or []
        lines.append(button.get("name", "") + ("" if subs else _target(button)))
        lines.extend(f"  {sub.get('name', '')}{_target(sub)}" for sub in subs)
    return lines


def _target(entry: Mapping[str, Any]) -> str:
    if entry.get("key"):
        return f"  → key {entry['key']}"
    if entry.get("url"):
        return f"  → {entry['url']}"
    return f"  ({entry.get('type', '')})"


class MenuApi:
    """menu/create, menu/get and menu/delete with the shared access token."""

    def __init__(self, tokens: AccessTokens) -> None:
        self.tokens = tokens

    async def _call(
        self, session: aiohttp.ClientSession, method: str, path: str,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        token = await self.tokens.get(session)
        data = await self._once(session, method, path, body, token)
        if data.get("errcode") in TOKEN_ERRORS:
            data = await self._once(
                session, method, path, body, await self.tokens.get(session, stale=token)
            )
        return data

    async def _once(
        self, session: aiohttp.ClientSession, method: str, path: str,
        body: Mapping[str, Any] | None, token: str,
    ) -> dict[str, Any]:
        answer = await call_json(session, method, self.tokens.base_url + path, body=body,
                                 params={"access_token": token})
        if not isinstance(answer.body, dict):
            raise OutboundError(f"WeChat answered HTTP {answer.status}: {answer.text[:200]}")
        return answer.body

    async def create(self, session: aiohttp.ClientSession, menu: Mapping[str, Any]) -> None:
        """Replace the account's menu."""
        _checked(await self._call(session, "POST", CREATE_PATH, menu))

    async def get(self, session: aiohttp.ClientSession) -> dict[str, Any] | None:
        """The menu set through the API, or None when there is none."""
        data = await self._call(session, "GET", GET_PATH)
        if data.get("errcode") == NO_MENU:
            return None
        _checked(data)
        menu = data.get("menu")
        return menu if isinstance(menu, dict) else None

    async def delete(self, session: aiohttp.ClientSession) -> None:
        """Remove the menu (personalised menus too)."""
        _checked(await self._call(session, "GET", DELETE_PATH))


def _checked(data: Mapping[str, Any]) -> None:
    errcode = data.get("errcode", 0)
    if errcode != 0:
        raise OutboundError(f"WeChat refused: errcode {errcode} {data.get('errmsg', '')}".strip())

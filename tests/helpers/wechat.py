"""A test WeChat account: its secrets, and pushes signed and encrypted the way WeChat does.

Encryption uses wechatpy's WeChatCrypto, an implementation independent of ours.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import time
from pathlib import Path
from typing import Any

from wechatpy.crypto import WeChatCrypto

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wechat"
TOKEN = "brandbotTestToken2026"
AES_KEY = base64.b64encode(hashlib.sha256(b"brandbot wechat test key").digest()).decode()[:43]
APP_ID = "wx5b2e9a7c4d1f0e36"
APP_SECRET = "test-app-secret-0123456789abcdef"
ACCOUNT = "gh_3f9a2b7c1d0e"
OPENID = "oQ7k5s1V2xYz-AbCdEfGhIjKlMnO"
ENV = {"WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": AES_KEY, "WECHAT_APP_SECRET": APP_SECRET}
MODES = ("plain", "compatible", "safe")


def platform_table(mode: str, api_base_url: str, **overrides: Any) -> dict[str, Any]:
    """A `[platforms.wechat]` table for the test account."""
    return {
        "enabled": True, "app_id": APP_ID, "mode": mode, "token_env": "WECHAT_TOKEN",
        "aes_key_env": "WECHAT_AES_KEY", "app_secret_env": "WECHAT_APP_SECRET",
        "api_base_url": api_base_url, **overrides,
    }


def text_push(
    content: str, msg_id: str, sender: str = OPENID, created: int = 1763862100
) -> str:
    """A plain text push from `sender` to the test account."""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{created}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def sha1(*parts: str) -> str:
    """WeChat's signature, written out again from the documentation."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def fixture(name: str) -> str:
    """A plain push from tests/fixtures/wechat."""
    return (FIXTURES / f"{name}.xml").read_text(encoding="utf-8")


_nonces = itertools.count(1320250706)


def fresh() -> tuple[str, str]:
    """A timestamp (now) and a nonce never used before, as WeChat signs each push."""
    return str(int(time.time())), str(next(_nonces))


def encrypt(xml: str, nonce: str = "1320250706", timestamp: str = "1763862000") -> str:
    """The `<Encrypt>` value WeChat would send for `xml`."""
    envelope = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, timestamp)
    found = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope)
    assert found is not None
    return found.group(1)


def push(
    xml: str, mode: str, *, nonce: str | None = None, timestamp: str | None = None
) -> tuple[dict[str, str], bytes]:
    """The query string and body WeChat POSTs for `xml` in `mode`, signed now by default."""
    now, unused = fresh()
    timestamp, nonce = timestamp or now, nonce or unused
    query = {"signature": sha1(TOKEN, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": OPENID}
    if mode == "plain":
        return query, xml.encode("utf-8")
    encrypted = encrypt(xml, nonce, timestamp)
    if mode == "safe":
        body = (f"<xml>\n  <ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n"
                f"  <Encrypt><![CDATA[{encrypted}]]></Encrypt>\n</xml>\n")
    else:
        body = xml.replace("</xml>", f"  <Encrypt><![CDATA[{encrypted}]]></Encrypt>\n</xml>")
    query.update(encrypt_type="aes", msg_signature=sha1(TOKEN, timestamp, nonce, encrypted))
    return query, body.encode("utf-8")


def decrypt_reply(body: str, timestamp: str, nonce: str, msg_signature: str) -> str:
    """The XML inside an encrypted passive reply (wechatpy checks its signature too)."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    return str(crypto.decrypt_message(body, msg_signature, timestamp, nonce))


def stored_push(name: str, mode: str) -> tuple[dict[str, str], bytes]:
    """A fixture as WeChat POSTs it in `mode`; encrypted bodies are committed files."""
    if mode == "plain":
        return push(fixture(name), mode)
    body = (FIXTURES / mode / f"{name}.xml").read_bytes()
    found = re.search(rb"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", body)
    assert found is not None, f"{mode}/{name}.xml has no Encrypt"
    # The ciphertext does not depend on the query: sign it now, as a fresh push.
    timestamp, nonce = fresh()
    return {
        "signature": sha1(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
        "openid": OPENID, "encrypt_type": "aes",
        "msg_signature": sha1(TOKEN, timestamp, nonce, found.group(1).decode()),
    }, body


STORED_TIMESTAMP = "1763862000"
STORED_NONCE = "1320250706"


def write_encrypted_fixtures() -> None:
    """Write compatible/ and safe/ copies of every plain fixture (run when adding one)."""
    for path in sorted(FIXTURES.glob("*.xml")):
        for mode in ("compatible", "safe"):
            _, body = push(path.read_text(encoding="utf-8"), mode,
                           nonce=STORED_NONCE, timestamp=STORED_TIMESTAMP)
            (FIXTURES / mode).mkdir(exist_ok=True)
            (FIXTURES / mode / path.name).write_bytes(body)


if __name__ == "__main__":
    write_encrypted_fixtures()

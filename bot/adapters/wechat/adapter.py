"""WeChat official account (公众号): verified pushes in; passive XML or API sends out."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from ipaddress import ip_address

import aiohttp

from bot.adapters.text import numbered, split_text, utf8_length
from bot.adapters.wechat.api import (
    SEND_PATH,
    AccessTokens,
    AccountKind,
    WeChatTransport,
    is_window_open,
)
from bot.adapters.wechat.crypto import MessageCipher, is_signed, sign
from bot.adapters.wechat.media import MediaUploads
from bot.adapters.wechat.message import NAME, parse_fields
from bot.adapters.wechat.notice import render_notice
from bot.adapters.wechat.xml import read_fields, write_fields
from bot.config.wechat import DEADLINE_SECONDS, WeChatSettings
from bot.core.adapter import InboundRequest, OutboundRequest, RateLimits, Rendered, WebhookAnswer
from bot.core.errors import CryptoError, PayloadError, SignatureError, TokenError
from bot.core.language import ENGLISH, HANT, detect_language
from bot.core.message import Address, Message, Notice, Reply
from bot.core.payload import header_bytes
from bot.core.ports import AdapterPorts

MAX_TEXT_BYTES = 2048  # docs/platforms.md §1.6: treat 2048 UTF-8 bytes as the reply limit
XML = "application/xml"
DELIVERIES = 3  # WeChat delivers a push up to three times, 5 s apart (§1.5)
# Said under a passive answer that could not hold everything (an account without the
# customer-service API): the rest comes with the answer to the customer's next message.
MORE = {
    ENGLISH: "(More follows: send any message to read on.)",
    HANT: "（未完，回覆任意內容查看後續）",
}
MORE_DEFAULT = "（未完，回复任意内容查看后续）"
MORE_ROOM = 100  # bytes kept free for that line


def build(settings: WeChatSettings, ports: AdapterPorts) -> WeChatAdapter:
    """The adapter for a read configuration."""
    return WeChatAdapter(settings, ports)


def is_encrypted(request: InboundRequest) -> bool:
    """Whether the push says its body is the AES envelope."""
    return request.query.get("encrypt_type", "").lower() == "aes"


class WeChatAdapter:
    """Translates WeChat pushes and replies; sends go through the customer-service API."""

    name = NAME
    rate_limits = RateLimits(per_second=50.0, per_chat_per_second=2.0, burst=5)
    deliveries = DELIVERIES

    def __init__(self, settings: WeChatSettings, ports: AdapterPorts) -> None:
        self.settings = settings
        self.ports = ports
        self.clock = ports.clock
        self.reply_budget_seconds: float | None = settings.reply_budget_seconds
        self.answer_deadline_seconds = DEADLINE_SECONDS
        self.account = AccountKind(ports.kv, settings.app_id, settings.account, self.clock.now)
        self.cipher = (
            MessageCipher(settings.aes_key, settings.app_id) if settings.aes_key else None
        )
        self.tokens = AccessTokens(
            ports.kv, settings.api_base_url, settings.app_id, settings.app_secret, self.clock.now
        )

    async def probe(self, session: aiohttp.ClientSession) -> str | None:
        """Whether an access token can be had (customer-service sends need one)."""
        if not self.settings.app_secret:
            return None  # passive answers only: no token is ever needed
        try:
            await self.tokens.get(session)
        except (TokenError, aiohttp.ClientError, TimeoutError) as error:
            return f"no access token can be fetched: {error or type(error).__name__}"
        return None

    def _is_signed(self, request: InboundRequest) -> bool:
        query = request.query
        signature, timestamp, nonce = (
            query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", "")
        )
        return bool(signature and timestamp and nonce) and is_signed(
            signature, self.settings.token, timestamp, nonce
        )

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """Echo `echostr` when the signature is right and fresh (the console's URL check)."""
        try:
            self._check_address(request)
            self._check_fresh(request)
        except SignatureError:
            return WebhookAnswer(status=403, body="forbidden")
        if not self._is_signed(request) or "echostr" not in request.query:
            return WebhookAnswer(status=403, body="forbidden")
        return WebhookAnswer(body=request.query["echostr"])

    def verify(self, request: InboundRequest) -> None:
        """Check the sender's address, `signature` and its freshness, for encrypted bodies
        `msg_signature` and the AppID inside, and that the nonce was not used for another body.
        """
        self._check_address(request)
        if not self._is_signed(request):
            raise SignatureError("bad or missing signature")
        self._check_fresh(request)
        if is_encrypted(request):
            xml = self._verify_envelope(request)
        elif self.settings.mode == "safe":
            # Plain bodies are not covered by the signature: safe mode must refuse them.
            raise SignatureError("safe mode accepts only encrypted pushes")
        else:
            xml = request.body
        self._check_sender(request, xml)
        # Last, so that a request refused above writes nothing.
        self._remember_nonce(request)

    def _check_address(self, request: InboundRequest) -> None:
        networks = self.settings.allowed_networks
        if not networks:
            return
        try:
            address = ip_address(request.remote)
        except ValueError:
            raise SignatureError(f"push from an unknown address {request.remote!r}") from None
        if not any(address in network for network in networks):
            raise SignatureError(f"push from {address}, not one of WeChat's addresses")

    def _check_fresh(self, request: InboundRequest) -> None:
        """Refuse a signature made further from now than the replay window (a captured one)."""
        timestamp = request.query.get("timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise SignatureError("the timestamp is not a number of seconds")
        age = abs(self.clock.now().timestamp() - int(timestamp))
        if age > self.settings.replay_window_seconds:
            raise SignatureError(
                f"signed {int(age)} s away from our clock (replay window"
                f" {self.settings.replay_window_seconds} s)"
            )

    def _check_sender(self, request: InboundRequest, xml: bytes) -> None:
        """The `openid` WeChat puts in the query must be the sender the body names."""
        openid = request.query.get("openid")
        if not openid:
            return
        try:
            sender = read_fields(xml).get("FromUserName")
        except PayloadError:
            return  # parse() answers 400 and keeps it as a dead letter
        if sender is not None and sender != openid:
            raise SignatureError("the body's sender is not the openid WeChat signed for")

    def _remember_nonce(self, request: InboundRequest) -> None:
        """A nonce may come again only with the same body (WeChat retrying the same push)."""
        query = request.query
        key = f"wechat:nonce:{query['timestamp']}:{header_bytes(query['nonce']).hex()}"
        digest = hashlib.sha256(request.body).hexdigest()
        now = self.clock.now()
        window = timedelta(seconds=2 * self.settings.replay_window_seconds)
        if self.ports.kv.add(key, digest, now, expires_at=now + window):
            return
        if self.ports.kv.get(key, now) != digest:
            raise SignatureError("nonce already used for another body (a replay)")

    def _verify_envelope(self, request: InboundRequest) -> bytes:
        """The decrypted XML of an encrypted push whose `msg_signature` is right."""
        if self.cipher is None:
            raise SignatureError("encrypted push, but no EncodingAESKey is configured")
        try:
            encrypted = read_fields(request.body).get("Encrypt", "")
        except PayloadError as error:
            raise SignatureError(f"unreadable envelope: {error}", 400) from None
        if not encrypted:
            raise SignatureError("encrypted push without Encrypt", 400)
        query = request.query
        if not is_signed(
            query.get("msg_signature", ""), self.settings.token, query["timestamp"],
            query["nonce"], encrypted,
        ):
            raise SignatureError("bad msg_signature")
        try:
            return self.cipher.decrypt(encrypted)
        except CryptoError as error:
            raise SignatureError(f"ciphertext refused: {error}") from None

    def parse(self, request: InboundRequest) -> list[Message]:
        """The one message of a push, decrypted first when it is encrypted."""
        fields = read_fields(request.body)
        encrypted = is_encrypted(request)
        if encrypted:
            if self.cipher is None:
                raise PayloadError("encrypted push, but no EncodingAESKey is configured")
            try:
                fields = read_fields(self.cipher.decrypt(fields.get("Encrypt", "")))
            except CryptoError as error:
                raise PayloadError(f"cannot decrypt: {error}") from None
        return [parse_fields(fields, {"fields": fields, "encrypted": encrypted})]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """`success`: WeChat neither retries nor shows an error, and replies come later."""
        return WebhookAnswer(body="success")

    def holds_replies(self) -> bool:
        """A subscription account (configured, or refused the API with 48001) has no
        customer-service API: late replies wait for a passive answer."""
        return self.account.holds_replies()

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The first text part as the passive XML reply (if allowed); the rest via the API,
        or, on an account without it, held for a later passive answer."""
        if self.holds_replies():
            return self._render_held(message, replies, passive=passive)
        parts = self._texts(replies, images=False)
        images = self._images(message.chat_id, replies)
        if not passive or not parts:
            sends = self._sends(message.chat_id, parts) + images
            return Rendered(WebhookAnswer(body="success"), sends)
        answer = self._passive(message, parts[0])
        return Rendered(answer, self._sends(message.chat_id, parts[1:]) + images)

    def _render_held(
        self, message: Message, replies: Sequence[Reply], *, passive: bool
    ) -> Rendered:
        """All replies in the one passive answer WeChat allows; what misses it is held."""
        shown = [reply for reply in replies if numbered(reply).strip()]
        if not shown:
            return Rendered(WebhookAnswer(body="success"))
        if not passive:
            return Rendered(WebhookAnswer(body="success"), held=tuple(shown))
        text = "\n\n".join(numbered(reply) for reply in shown)
        parts = split_text(text, MAX_TEXT_BYTES - MORE_ROOM, utf8_length)
        if len(parts) == 1:
            return Rendered(self._passive(message, parts[0]))
        more = MORE.get(detect_language(text), MORE_DEFAULT)
        answer = self._passive(message, f"{parts[0]}\n{more}")
        return Rendered(answer, held=(Reply(text="\n".join(parts[1:])),))

    def _passive(self, message: Message, content: str) -> WebhookAnswer:
        """The passive XML text reply (the encrypted envelope for an encrypted push)."""
        xml = write_fields({
            "ToUserName": message.user_id,
            "FromUserName": message.account,
            "CreateTime": int(self.clock.now().timestamp()),
            "MsgType": "text",
            "Content": content,
        })
        if message.raw.get("encrypted"):
            xml = self._envelope(xml)
        return WebhookAnswer(body=xml, content_type=XML)

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """Customer-service sends to someone who is not the sender of a message."""
        openid = address.user_id or address.chat_id
        if self.holds_replies():
            # Kept whole for a passive answer (the transport holds them): images as links.
            return self._sends(openid, self._texts(replies))
        return self._sends(openid, self._texts(replies, images=False)) + self._images(
            openid, replies
        )

    def render_notice(self, address: Address, notice: Notice) -> tuple[OutboundRequest, ...]:
        """The notice as the template message or subscribe notification configured for its
        kind (sent outside the 48-hour window too); () when none is configured."""
        config = self.settings.notices.get(notice.kind)
        if config is None:
            return ()
        return (render_notice(address.user_id or address.chat_id, notice, config),)

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """Customer-service messages reach people who wrote within 48 hours, on an account
        that has the API (a subscription account can only answer passively)."""
        return not self.holds_replies() and is_window_open(last_inbound_at, now)

    def transport(self) -> WeChatTransport:
        """Customer-service sends with the shared access token; images uploaded as media."""
        return WeChatTransport(self.ports.inbound, self.tokens, self.clock.now, self.account,
                               MediaUploads(self.tokens).media_id)

    @staticmethod
    def _texts(replies: Sequence[Reply], *, images: bool = True) -> list[str]:
        """Each reply as text (buttons numbered, image links too unless they go as images),
        split to WeChat's byte limit."""
        parts: list[str] = []
        for reply in replies:
            text = numbered(reply if images else replace(reply, image_url=None))
            if text.strip():
                parts.extend(split_text(text, MAX_TEXT_BYTES, utf8_length))
        return parts

    @staticmethod
    def _images(openid: str, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """An image message per reply image; the transport uploads it as temporary media."""
        return tuple(
            OutboundRequest(
                platform=NAME, chat_id=openid, user_id=openid, path=SEND_PATH,
                body={"touser": openid, "msgtype": "image", "image": {"url": reply.image_url}},
            )
            for reply in replies if reply.image_url
        )

    @staticmethod
    def _sends(openid: str, parts: Sequence[str]) -> tuple[OutboundRequest, ...]:
        return tuple(
            OutboundRequest(
                platform=NAME, chat_id=openid, user_id=openid, path=SEND_PATH,
                body={"touser": openid, "msgtype": "text", "text": {"content": part}},
            )
            for part in parts
        )

    def _envelope(self, xml: str) -> str:
        """The safe-mode reply: encrypted, signed with our own timestamp and nonce."""
        assert self.cipher is not None
        encrypted = self.cipher.encrypt(xml)
        timestamp = str(int(self.clock.now().timestamp()))
        nonce = str(secrets.randbelow(10**10))
        return write_fields({
            "Encrypt": encrypted,
            "MsgSignature": sign(self.settings.token, timestamp, nonce, encrypted),
            "TimeStamp": int(timestamp),
            "Nonce": nonce,
        })

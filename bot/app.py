"""The composition root: one running bot assembled from a Config; nothing imports this module."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.registry import ADAPTERS
from bot.adapters.telegram.links import TelegramPlatform
from bot.adapters.telegram.menu import MENU_LANGUAGES, CommandMenu, Menus
from bot.adapters.web.adapter import WebAdapter
from bot.adapters.wechat.adapter import WeChatAdapter
from bot.adapters.wechat.qr import InviteQrCodes, WeChatPlatform
from bot.adapters.whatsapp.links import WhatsAppPlatform
from bot.config import Config
from bot.config.telegram import TelegramSettings
from bot.core.adapter import Adapter, Platform, PullingAdapter
from bot.core.clock import Clock
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.ports import AdapterPorts
from bot.core.redact import Redactor
from bot.core.service import Periodic, Service
from bot.core.signing import TokenSigner
from bot.core.texts import Texts
from bot.core.version import VERSION
from bot.kb.index import FaqIndex
from bot.kb.seed import load_faqs, load_texts
from bot.orders.events import OrderEvents
from bot.orders.importer import seed_orders
from bot.orders.service import OrderService
from bot.rewards.expiry import ExpiryReminders
from bot.rewards.referrals import PaidOrderReferrals
from bot.runtime.backups import DailyBackups
from bot.runtime.events import ConversationEvents
from bot.runtime.ingress import Ingress
from bot.runtime.instances import InstanceNotices
from bot.runtime.metrics import Metrics
from bot.runtime.outbox import Outbox
from bot.runtime.outgoing import Outgoing
from bot.runtime.pipeline import Pipeline
from bot.runtime.readiness import Readiness
from bot.runtime.retention import Retention
from bot.runtime.router import Router, menu_of
from bot.staff.timer import HandoffTimer
from bot.store import Store, open_configured
from bot.store.checkpoints import WalCheckpoints
from bot.store.postgres import portal
from handlers import ACTIONS, ROUTES

log = logging.getLogger(__name__)

# Often enough to renew the delivery leases of slow handlers (pipeline.LEASE, 15 s) in time.
RESUME_SECONDS = 5.0
# How often an instance that does not pull a platform's updates (another one does, on a
# shared store) looks whether it should take over.
PULL_RETRY_SECONDS = 5.0


@dataclass(slots=True)
class Bot:
    """Everything one process needs to answer messages."""

    config: Config
    store: Store
    clock: Clock
    faqs: FaqIndex
    adapters: dict[str, Adapter]  # every channel, the local web chat and shell included
    webhooks: dict[str, Adapter]  # the enabled platforms
    outbox: Outbox
    outgoing: Outgoing
    pipeline: Pipeline
    ingress: Ingress
    order_events: OrderEvents
    signer: TokenSigner  # the web chat's sessions (and any other signed token)
    events: ConversationEvents  # "new lines for this customer", for the chat's live stream
    metrics: Metrics  # what /metrics serves
    readiness: Readiness  # what /readyz checks
    redact: Redactor  # masks secrets in what leaves the process
    services: list[Service] = field(default_factory=list)
    runners: list[asyncio.Task[None]] = field(default_factory=list)
    pulling: set[str] = field(default_factory=set)  # the platforms this instance pulls now
    started_at: float = 0.0

    async def start(self, *, loops: bool = True) -> None:
        """Build the FAQ index, start sending, handle what a previous run left, start loops."""
        if self.store.db.backend == "postgresql":
            # From now on the store's calls on this loop await PostgreSQL instead of blocking.
            await portal.install()
        # Embedding a large knowledge base takes a while: the worker thread does it, the loop
        # stays free, and the server listens once it is done (aiohttp awaits on_startup first).
        await self.faqs.prepare()
        await self.outbox.start()
        for service in self.services:
            await service.start()
        resumed = await self.pipeline.resume()
        if resumed:
            log.info("handled %d messages left over from the last run", resumed)
        for name, adapter in self.adapters.items() if loops else ():
            # A pulling adapter (Telegram's long polling) runs for as long as the bot does.
            if isinstance(adapter, PullingAdapter):
                self.runners.append(asyncio.create_task(self._pull(name, adapter), name=name))
        self.started_at = time.monotonic()
        log.info(
            "brandbot %s started: platforms %s, store %s (%d migrations), pid %d", VERSION,
            ", ".join(sorted(self.webhooks)) or "none (web chat and shell only)",
            self.store.db.path, self.store.schema_version, os.getpid(),
            extra={"version": VERSION, "platforms": sorted(self.webhooks),
                   "store": self.store.db.path, "migrations": self.store.schema_version},
        )

    async def _pull(self, name: str, adapter: PullingAdapter) -> None:
        """Pull a platform's updates while no other instance on the store does: Telegram
        refuses a second getUpdates at once (409), and one instance's offset is every one's.
        On SQLite (one process a file) this instance always does."""
        while True:
            with self.store.db.hold(f"pull:{name}") as mine:
                if mine:
                    self.pulling.add(name)
                    try:
                        await adapter.run(self.ingress)
                    finally:
                        self.pulling.discard(name)
                    return
            await asyncio.sleep(PULL_RETRY_SECONDS)

    async def stop(self) -> None:
        """Stop loops, services and sending (unsent rows stay), then close the store."""
        for task in self.runners:
            task.cancel()
        outcomes = await asyncio.gather(*self.runners, return_exceptions=True)
        for task, outcome in zip(self.runners, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.error("%s loop failed", task.get_name(), exc_info=outcome)
        self.runners.clear()
        await self.ingress.drain()
        for service in reversed(self.services):
            await service.stop()
        await self.outbox.stop()
        counts = self.store.outbox.counts()
        waiting = counts.get("pending", 0) + counts.get("sending", 0)
        self.faqs.close()
        self.store.close()
        uptime = time.monotonic() - self.started_at if self.started_at else 0.0
        log.info(
            "brandbot stopped after %.0f s; %d sends wait for the next start", uptime, waiting,
            extra={"uptime_seconds": round(uptime, 1), "outbox_waiting": waiting},
        )


SMALL_TALK_SEEDED = "kb_seed:small_talk"


def seed_knowledge_base(config: Config, store: Store, clock: Clock) -> int:
    """Fill an empty store's knowledge base from the configured folder.

    A store seeded before small talk existed gets the default small-talk entries once.
    """
    folder = config.resolve(config.knowledge_base.path)
    if store.kb.count():
        if store.kv.get(SMALL_TALK_SEEDED) is not None:
            return 0
        talk = [faq for faq in load_faqs(folder) if faq.small_talk]
        added = store.kb.add_missing(talk, clock.now())
        store.kv.set(SMALL_TALK_SEEDED, str(added), clock.now())
        if added:
            log.info("added %d small-talk entries from %s", added, folder)
        return added
    added = store.kb.seed(load_faqs(folder), clock.now())
    store.kv.set(SMALL_TALK_SEEDED, "seed", clock.now())
    log.info("seeded the knowledge base with %d FAQs from %s", added, folder)
    return added


def _platforms(config: Config, invite_qr: InviteQrCodes | None) -> dict[str, Platform]:
    """What features may ask of each platform (invite links, follow events), running or not."""
    telegram = config.platforms.get("telegram")
    username = config.rewards.telegram_bot_username or (
        telegram.bot_username if isinstance(telegram, TelegramSettings) else ""
    )
    platforms: dict[str, Platform] = {
        "telegram": TelegramPlatform(username),
        "whatsapp": WhatsAppPlatform(config.rewards.whatsapp_number),
    }
    if "wechat" in config.platforms:
        platforms["wechat"] = WeChatPlatform(invite_qr)
    return platforms


def telegram_menus(config: Config, texts: Texts) -> Menus:
    """The routes' /commands, described in the default language and each menu language: what
    the running bot and `brandbot webhook set` both set."""
    commands = menu_of(ROUTES, config)
    languages = [("", config.bot.default_language), *MENU_LANGUAGES]
    return {
        code: [(entry.command, texts.get(entry.text_key, language)) for entry in commands]
        for code, language in languages
    }


def build_bot(config: Config, *, clock: Clock | None = None, store: Store | None = None) -> Bot:
    """Open the store (seeding it if new) and wire every part together."""
    clock = clock or Clock()
    store = store or open_configured(
        config.store, config.resolve, busy_timeout_ms=config.store.busy_timeout_ms
    )
    shared = store.db.backend == "postgresql"
    seed_knowledge_base(config, store, clock)
    seed_orders(config, store, clock)
    store.loyalty.configure(config.rewards, config.bot.zone, config.resolve, clock.now())
    texts = load_texts(config.resolve(config.knowledge_base.path))
    faqs = FaqIndex(
        store.kb, config.knowledge_base, semantic=config.knowledge_base.semantic,
        vectors=store.vectors, clock=clock,
    )
    if not faqs.semantic:
        faqs.refresh()  # semantic: Bot.start builds the index off the event loop
    ports = AdapterPorts(kv=store.kv, inbound=store.customers, clock=clock)
    webhooks: dict[str, Adapter] = {
        name: ADAPTERS[name].build(settings, ports)
        for name, settings in config.platforms.items()
        if settings.enabled
    }
    # [web] names the secret in the environment; without one, the store keeps a generated one.
    signer = TokenSigner(config.web.session_secret.encode() or store.web.secret(clock.now()))
    adapters: dict[str, Adapter] = {
        "web": WebAdapter(
            clock, signer, timedelta(days=config.web.session_days),
            config.server.max_text_chars, config.web.public_url,
        ),
        "console": ConsoleAdapter(clock),
        **webhooks,
    }
    suggestions = {texts.get("did_you_mean", language) for language in (HANS, HANT, ENGLISH)}
    metrics = Metrics(
        store, clock, version=VERSION, platforms=adapters, suggestions=suggestions
    )
    outbox = Outbox(
        store,
        config.outbox,
        {name: adapter.transport() for name, adapter in adapters.items()},
        {name: adapter.rate_limits for name, adapter in adapters.items()},
        clock,
        metrics,
    )
    events = ConversationEvents()
    notices = InstanceNotices(store, outbox, events)
    if shared:
        events.relay = notices.relay  # a line logged here reaches streams held elsewhere
    outgoing = Outgoing(store, adapters, clock, outbox.announce, events)
    wechat = webhooks.get("wechat")
    invite_qr = None
    if isinstance(wechat, WeChatAdapter) and wechat.settings.app_secret and config.rewards.enabled:
        invite_qr = InviteQrCodes(
            store.kv, wechat.tokens, clock, store.loyalty.referrals.codes_without
        )
    with_handoff = "handoff.request" in ACTIONS
    orders = OrderService(
        store, config.orders, outgoing, texts, clock, with_handoff=with_handoff
    )
    pipeline = Pipeline(
        store=store, config=config, router=Router(ROUTES), faqs=faqs, texts=texts,
        outgoing=outgoing, clock=clock, actions=ACTIONS, platforms=_platforms(config, invite_qr),
        services={OrderService: orders}, metrics=metrics,
    )
    referrals = PaidOrderReferrals(store, outgoing, texts, config)
    # With several instances on one store, one at a time runs each of these.
    alone: list[Service] = [
        orders,
        HandoffTimer(pipeline),
        ExpiryReminders(store, outgoing, texts, config, clock),
        Retention(store, config.privacy, clock),
    ]
    if invite_qr is not None:
        alone.append(invite_qr)
    for service in alone:
        service.run_alone(store.db)
    services: list[Service] = [
        *alone,
        # Deliveries left unhandled by a process that stopped mid-way are picked up again
        # (every instance: each renews the leases of its own slow handlers here).
        Periodic("resume", RESUME_SECONDS, pipeline.resume, next_in=pipeline.next_resume_in),
        notices,
    ]
    telegram = config.platforms.get("telegram")
    if isinstance(telegram, TelegramSettings) and telegram.enabled:
        # The "/" menu customers see is what the routes answer (handlers/__init__.py).
        services.append(CommandMenu(telegram, telegram_menus(config, texts)))
    if not shared:
        # A SQLite file's own upkeep; PostgreSQL keeps its WAL, and pg_dump backs it up.
        store_path = Path(store.db.path)
        services += [
            WalCheckpoints(store.db.path),
            DailyBackups(config.backup, store_path, config.resolve(config.backup.folder or "."),
                         config.bot.zone, clock, metrics),
        ]
    redact = Redactor(config.secrets)
    return Bot(
        config=config, store=store, clock=clock, faqs=faqs, adapters=adapters,
        webhooks=webhooks, outbox=outbox, outgoing=outgoing, pipeline=pipeline,
        ingress=Ingress(store, pipeline, clock),
        order_events=OrderEvents(store, outgoing, texts, config, clock, referrals.complete),
        signer=signer, events=events, services=services, metrics=metrics,
        readiness=Readiness(store, webhooks, metrics, clock, redact), redact=redact,
    )




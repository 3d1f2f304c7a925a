"""Assembles one running bot from a Config: store, knowledge, router, adapters, outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Protocol

from bot.adapters import ADAPTERS
from bot.adapters.base import Adapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.web import WebAdapter
from bot.clock import Clock
from bot.config import Config
from bot.expiry_reminders import ExpiryReminders
from bot.faq_index import FaqIndex
from bot.handoff_timer import HandoffTimer
from bot.knowledge import load_faqs, load_texts
from bot.orders_import import seed_orders
from bot.orders_service import OrderService
from bot.outbox import Outbox
from bot.periodic import Periodic
from bot.pipeline import Pipeline
from bot.router import Router
from bot.store import Store, open_store
from bot.wechat_qr import build_invite_qr

log = logging.getLogger(__name__)

Runner = Callable[[Pipeline], Coroutine[None, None, None]]


class Service(Protocol):
    """A background part started and stopped with the bot (e.g. the order-lookup retrier)."""

    async def start(self) -> None:
        """Start working."""
        ...

    async def stop(self) -> None:
        """Stop; durable work stays stored for the next start."""
        ...


@dataclass(slots=True)
class Bot:
    """Everything one process needs to answer messages."""

    config: Config
    store: Store
    faqs: FaqIndex
    adapters: dict[str, Adapter]
    webhooks: dict[str, Adapter]
    outbox: Outbox
    pipeline: Pipeline
    clock: Clock
    runners: list[asyncio.Task[None]] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)

    async def start(self, *, loops: bool = True) -> None:
        """Build the FAQ index, start sending, handle what a previous run left, start loops."""
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
            # Optional hook: an adapter with `async def run(pipeline)` gets a background task
            # for as long as the bot runs (Telegram's long polling).
            run: Runner | None = getattr(adapter, "run", None)
            if run is not None:
                self.runners.append(asyncio.create_task(run(self.pipeline), name=name))

    async def stop(self) -> None:
        """Stop loops, services and sending (unsent rows stay), then close the store."""
        for task in self.runners:
            task.cancel()
        outcomes = await asyncio.gather(*self.runners, return_exceptions=True)
        for task, outcome in zip(self.runners, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.error("%s loop failed", task.get_name(), exc_info=outcome)
        self.runners.clear()
        for service in reversed(self.services):
            await service.stop()
        await self.outbox.stop()
        self.faqs.close()
        self.store.close()


def seed_knowledge_base(config: Config, store: Store, clock: Clock) -> int:
    """Fill an empty store's knowledge base from the configured folder."""
    folder = config.resolve(config.knowledge_base.path)
    if store.db.scalar("SELECT count(*) FROM faqs"):
        return 0
    added = store.kb.seed(load_faqs(folder), clock.now())
    log.info("seeded the knowledge base with %d FAQs from %s", added, folder)
    return added


def build_bot(config: Config, *, clock: Clock | None = None, store: Store | None = None) -> Bot:
    """Open the store (seeding it if new) and wire every part together."""
    from handlers import ACTIONS, ROUTES

    clock = clock or Clock()
    store = store or open_store(config.resolve(config.store.path))
    seed_knowledge_base(config, store, clock)
    seed_orders(config, store, clock)
    store.loyalty.configure(config.rewards, config.bot.zone, config.resolve, clock.now())
    texts = load_texts(config.resolve(config.knowledge_base.path))
    faqs = FaqIndex(store.kb, semantic=config.knowledge_base.semantic)
    if not faqs.semantic:
        faqs.refresh()  # semantic: Bot.start builds the index off the event loop
    webhooks: dict[str, Adapter] = {
        name: ADAPTERS[name].build(settings, store)
        for name, settings in config.platforms.items()
        if settings.enabled
    }
    adapters: dict[str, Adapter] = {
        "web": WebAdapter(),
        "console": ConsoleAdapter(),
        **webhooks,
    }
    outbox = Outbox(
        store,
        config.outbox,
        {name: adapter.transport() for name, adapter in adapters.items()},
        {name: adapter.rate_limits for name, adapter in adapters.items()},
        clock=clock,
    )
    pipeline = Pipeline(
        store=store, config=config, router=Router(ROUTES), faqs=faqs, texts=texts,
        adapters=adapters, outbox=outbox, actions=ACTIONS, clock=clock,
    )
    orders = OrderService(store, config.orders, pipeline, texts, clock)
    pipeline.extras["orders"] = orders
    services: list[Service] = [
        orders,
        HandoffTimer(store, pipeline),
        ExpiryReminders(store, pipeline),
        # Deliveries left unhandled by a process that stopped mid-way are picked up again.
        Periodic("resume", 30.0, pipeline.resume),
    ]
    invite_qr = build_invite_qr(store, webhooks, clock)
    if invite_qr is not None and config.rewards.enabled:
        pipeline.extras["wechat_qr"] = invite_qr
        services.append(invite_qr)
    return Bot(
        config, store, faqs, adapters, webhooks, outbox, pipeline, clock, services=services
    )

"""Assembles one running bot from a Config: store, knowledge, router, adapters, outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.adapters import ADAPTERS
from bot.adapters.base import Adapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.web import WebAdapter
from bot.clock import Clock
from bot.config import Config
from bot.faq_index import FaqIndex
from bot.knowledge import load_faqs, load_texts
from bot.outbox import Outbox
from bot.pipeline import Pipeline
from bot.router import Router
from bot.store import Store, open_store

log = logging.getLogger(__name__)


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

    async def start(self) -> None:
        """Start sending and handle anything a previous run left unhandled."""
        await self.outbox.start()
        resumed = await self.pipeline.resume()
        if resumed:
            log.info("handled %d messages left over from the last run", resumed)

    async def stop(self) -> None:
        """Stop sending (unsent rows stay for the next start) and close the store."""
        await self.outbox.stop()
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
    store.loyalty.configure(config.rewards, config.bot.zone, config.resolve, clock.now())
    texts = load_texts(config.resolve(config.knowledge_base.path))
    faqs = FaqIndex(store.kb)
    faqs.refresh()
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
    return Bot(config, store, faqs, adapters, webhooks, outbox, pipeline, clock)

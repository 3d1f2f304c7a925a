"""Platform APIs that hang, fail, or are down for long: the other platforms' replies go out as
fast as without the trouble, and every reply of the troubled one is delivered once later."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable

import aiohttp

from bot.store import open_store
from tests.helpers import customers
from tests.helpers.child_server import ServerProcess, until
from tests.helpers.crowd import Crowd
from tests.helpers.platforms import FakePlatforms
from tests.helpers.tally import tally

TEXTS = ["多久发货", "运费多少", "how do I return something?", "你好"]


async def whatsapp_latencies(crowd: Crowd, first: int, people: int) -> list[float]:
    """Each of `people` fresh WhatsApp customers writes once, all at once: reply latencies."""
    deliveries = [customers.whatsapp(f"86137{first + number:08d}", TEXTS[number % len(TEXTS)])
                  for number in range(people)]
    written = await asyncio.gather(*(crowd.write(delivery) for delivery in deliveries))
    latencies = [message.replied_after for message in written]
    assert None not in latencies, "a WhatsApp reply never came"
    return [latency for latency in latencies if latency is not None]


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


async def test_a_hanging_and_a_failing_platform_hold_up_no_other(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    server = serve(wechat={"reply_budget_seconds": 0})
    await server.start()
    crowd = Crowd(session, server.url, fakes, {}, TEXTS)
    await whatsapp_latencies(crowd, 0, 10)  # warm up
    unhindered = await whatsapp_latencies(crowd, 100, 30)

    fakes.links["telegram"].hang()
    fakes.links["wechat"].fail(502)
    stuck = ([customers.telegram(7_200_000 + number, "多久发货") for number in range(30)]
             + [customers.wechat(f"oDown-{number:06d}", "多久发货") for number in range(20)])
    for delivery in stuck:
        assert (await customers.post(session, server.url, delivery)).acked
    await until(lambda: fakes.links["telegram"].held >= 16 and fakes.links["wechat"].refused >= 20,
                10, "the troubled platforms' sends were under way")
    hindered = await whatsapp_latencies(crowd, 200, 30)
    ratio = p90(hindered) / p90(unhindered)
    print(f"WhatsApp reply p90 {p90(unhindered) * 1000:.0f} ms alone, "
          f"{p90(hindered) * 1000:.0f} ms beside a hanging and a failing platform: {ratio:.2f}x")
    assert ratio < 4, (unhindered, hindered)
    assert fakes.sends("telegram") == [] and fakes.sends("wechat") == []

    fakes.links["telegram"].heal()
    fakes.links["wechat"].heal()
    await until(lambda: tally(server.db, stuck, fakes.sends()).settled, 20,
                "the held-up replies went out once the platforms were back")
    result = tally(server.db, stuck, fakes.sends())
    assert result.duplicates == 0 and result.strays == [] and result.handled_twice == []


async def test_an_outage_past_the_old_horizon_then_every_reply_delivered_once(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    # Backoff capped at 0.3 s: a dozen attempts a row in a few seconds stand for hours of
    # them at the defaults (the old outbox gave up after 8 attempts, ~75 s).
    server = serve(wechat={"reply_budget_seconds": 0}, outbox={"max_delay_seconds": 0.3})
    await server.start()
    fakes.links["wechat"].fail(503)
    down = [customers.wechat(f"oOutage-{number:06d}", TEXTS[number % len(TEXTS)])
            for number in range(12)]
    for delivery in down:
        assert (await customers.post(session, server.url, delivery)).acked

    def attempts() -> dict[str, int]:
        """The attempts of each chat's first row (the next ones wait behind it, in order)."""
        store = open_store(server.db)
        try:
            tried: dict[str, int] = {}
            for row in store.outbox.list(limit=1000):
                if row.request.platform == "wechat":
                    chat = row.request.chat_id
                    tried[chat] = max(tried.get(chat, 0), row.attempts)
            return tried
        finally:
            store.close()

    await until(lambda: len(attempts()) == len(down) and min(attempts().values()) > 10, 30,
                "a long outage")
    # Meanwhile Telegram's customers are answered as usual.
    crowd = Crowd(session, server.url, fakes, {}, TEXTS)
    telegram = await crowd.write(customers.telegram(7_300_001, "多久发货"))
    assert telegram.replied_after is not None
    assert fakes.sends("wechat") == []

    fakes.links["wechat"].heal()
    await until(lambda: tally(server.db, down, fakes.sends()).settled, 15,
                "every reply delivered after the outage")
    result = tally(server.db, down, fakes.sends())
    assert result.duplicates == 0 and result.strays == [] and result.rows.keys() == {"sent"}
    assert len(fakes.sends("wechat")) == result.rows["sent"] - 1  # the one to Telegram


async def test_replies_given_up_on_are_listed_and_sent_again_from_the_command_line(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    server = serve(outbox={"retry_hours": 0.0005, "max_delay_seconds": 0.3})  # 1.8 s
    await server.start()
    fakes.links["telegram"].fail(500)
    down = [customers.telegram(7_400_000 + number, "运费多少") for number in range(5)]
    for delivery in down:
        assert (await customers.post(session, server.url, delivery)).acked
    def given_up() -> bool:
        store = open_store(server.db)
        try:
            return store.outbox.counts().get("failed", 0) == len(down)
        finally:
            store.close()

    await until(given_up, 30, "the rows were given up on")
    code, listed = await server.command("outbox", "list", "--status", "failed")
    assert code == 0 and listed.count("gave up after") == 5, listed
    assert listed.count("HTTP 500") == 5, listed
    fakes.links["telegram"].heal()
    code, said = await server.command("outbox", "retry", "--all")
    assert code == 0 and "5 failed sends will be tried again" in said
    await until(lambda: tally(server.db, down, fakes.sends()).settled, 10,
                "the re-driven rows went out")
    assert len(fakes.sends("telegram")) == 5

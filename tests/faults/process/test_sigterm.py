"""SIGTERM (a deploy) while requests are in flight and sends hang on the wire.

Requests in hand finish, or are answered after the restart; sends still on the wire at the
stop are given back unsent and go out at once on the next start, not after their lease.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp

from bot.store import open_store
from tests.fakes.shop_api import ShopApi, serve_shop
from tests.helpers import customers
from tests.helpers.child_server import ServerProcess, until
from tests.helpers.crowd import Crowd
from tests.helpers.platforms import FakePlatforms
from tests.helpers.tally import tally

TEXTS = ["多久发货", "签到", "运费多少", "你好", "how do I return something?"]
LEASE = 30.0


async def test_sigterm_in_flight_finishes_or_resumes_and_gives_sends_back(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    async with serve_shop({}) as shop:
        shop.mode = "stall"  # an order lookup waits for the shop's API: a request in hand
        await stop_and_restart(serve(
            # A send may hang for 20 s: still on the wire when the stop's 2 s grace is over.
            outbox={"timeout_seconds": 20.0, "lease_seconds": LEASE},
            orders={"source": "http", "http": {
                "url": shop.base_url + "/orders/{number}", "timeout_seconds": 1.5,
                "retries": 0}},
        ), fakes, session, shop)


async def stop_and_restart(
    server: ServerProcess, fakes: FakePlatforms, session: aiohttp.ClientSession, shop: ShopApi
) -> None:
    await server.start()
    fakes.links["telegram"].hang()
    hung = [customers.telegram(7_500_000 + number, "多久发货") for number in range(8)]
    for delivery in hung:
        assert (await customers.post(session, server.url, delivery)).acked
    await until(lambda: fakes.links["telegram"].held >= len(hung), 10, "sends on the wire")
    crowd = Crowd(session, server.url, fakes, {"web": 6, "whatsapp": 6, "wechat": 4}, TEXTS,
                  think=0.1)
    await crowd.start()
    await until(lambda: len(crowd.messages) >= 40, 20, "the load got going")
    visitor = await customers.web_visitor(session, server.url)
    lookups = [customers.web(visitor, "CL2611180001") for _ in range(3)]
    in_hand = [asyncio.create_task(customers.post(session, server.url, lookup))
               for lookup in lookups]
    await until(lambda: len(shop.requests) >= len(lookups), 10, "lookups waiting for the shop")

    assert await server.terminate() == 0
    await asyncio.gather(*in_hand)
    # Answered before the process went away (the shop's timeout, then "we will tell you").
    assert [lookup.outcomes[0].status for lookup in lookups] == [200] * len(lookups)
    store = open_store(server.db)
    try:
        counts = store.outbox.counts()
    finally:
        store.close()
    assert "sending" not in counts, counts  # given back, not left to their lease
    assert counts.get("pending", 0) >= len(hung)

    fakes.links["telegram"].heal()
    restarted = time.monotonic()
    await server.start()
    # Well inside the 30 s lease: the rows were free at once.
    await until(lambda: len(fakes.sends("telegram")) >= len(hung), 10,
                "the given-back sends went out on restart")
    print(f"given-back sends out {time.monotonic() - restarted:.1f} s after the restart")
    written = len(crowd.messages)
    await until(lambda: len(crowd.messages) >= written + 20, 20, "the load went on")
    await crowd.stop()
    everything = [*hung, *lookups, *crowd.deliveries]
    await until(lambda: tally(server.db, everything, fakes.sends()).settled, 20,
                "every acknowledged message answered and sent")
    result = tally(server.db, everything, fakes.sends())
    print(result.summary())
    statuses = {outcome.status for delivery in everything for outcome in delivery.outcomes}
    assert statuses <= {200, None}, statuses  # never a 5xx while stopping
    assert crowd.refused == [] and result.silent == [] and result.handled_twice == []
    assert result.duplicates == 0 and result.strays == [] and result.undelivered == []

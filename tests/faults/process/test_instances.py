"""Two `brandbot serve` instances on one PostgreSQL database, behind one balancer.

The same duplicate storm as test_storms.py, posted to both instances at once, is handled and
answered once; a kill -9 of one instance in the middle of a load loses nothing acknowledged
and doubles nothing (replies, ledger rows): the other one takes over what the dead one had
taken once its leases lapse.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.store import open_store
from tests.helpers import customers
from tests.helpers.balancer import Balancer
from tests.helpers.child_server import ServerProcess, until
from tests.helpers.crowd import Crowd
from tests.helpers.customers import Delivery
from tests.helpers.platforms import PLATFORMS, FakePlatforms
from tests.helpers.postgres import Cluster
from tests.helpers.tally import left_at_the_kill, tally

COPIES = 20  # of each delivery, to each instance
TEXTS = ["多久发货", "签到", "how do I return something?", "运费多少", "CL2611180001", "谢谢"]
LOAD = {"web": 4, "telegram": 6, "whatsapp": 6, "wechat": 4}


@pytest.fixture
def shared_url(postgres: Cluster) -> str:
    """A fresh PostgreSQL database for the instances to share."""
    return postgres.fresh()


@pytest.fixture
def instances(
    serve: Callable[..., ServerProcess], shared_url: str
) -> Callable[..., list[ServerProcess]]:
    """Make `count` servers on the shared database (not started)."""

    def make(count: int, wechat: dict[str, Any] | None = None) -> list[ServerProcess]:
        # Lexical matching: each fresh database would embed the knowledge base at start.
        return [serve(wechat, store={"url": shared_url}, knowledge_base={"semantic": False})
                for _ in range(count)]

    return make


@pytest.fixture
async def balancer() -> AsyncIterator[Callable[[list[ServerProcess]], Any]]:
    made: list[Balancer] = []

    async def make(servers: list[ServerProcess]) -> Balancer:
        front = Balancer([server.url for server in servers])
        await front.start()
        made.append(front)
        return front

    yield make
    for front in made:
        await front.close()


def checkins_by_customer(url: str) -> Counter[str]:
    """Check-in ledger rows per customer."""
    store = open_store(url)
    try:
        rows = store.db.query("SELECT customer_id FROM ledger WHERE reason = 'checkin'")
    finally:
        store.close()
    return Counter(str(row["customer_id"]) for row in rows)


async def test_a_storm_on_two_instances_is_handled_and_answered_once(
    instances: Callable[..., list[ServerProcess]], fakes: FakePlatforms,
    session: aiohttp.ClientSession, shared_url: str,
) -> None:
    servers = instances(2, {"reply_budget_seconds": 0})  # WeChat answers through the API
    await asyncio.gather(*(server.start() for server in servers))
    visitor = await customers.web_visitor(session, servers[0].url)
    deliveries: list[Delivery] = [
        customers.telegram(7_200_001, "多久发货"),
        customers.whatsapp("8613900000888", "运费多少"),
        customers.wechat("oStorm-000003", "how do I return something?"),
        customers.web(visitor, "多久发货"),
        customers.telegram(7_200_002, "签到"),
    ]
    await asyncio.gather(*(customers.post(session, server.url, delivery)
                           for delivery in deliveries for server in servers
                           for _ in range(COPIES)))
    await until(lambda: tally(shared_url, deliveries, fakes.sends()).settled, 15,
                "the replies went out")
    result = tally(shared_url, deliveries, fakes.sends())
    statuses = Counter(outcome.status for delivery in deliveries
                       for outcome in delivery.outcomes)
    assert statuses == {200: COPIES * len(servers) * len(deliveries)}
    assert result.acked == len(deliveries) and result.lost == [] and result.silent == []
    assert result.handled_twice == [] and result.duplicates == 0 and result.strays == []
    for platform in PLATFORMS:
        sends = Counter(send.body for send in fakes.sends(platform))
        assert sends and set(sends.values()) == {1}, (platform, sends)
    assert list(checkins_by_customer(shared_url).values()) == [1]
    # The web visitor got the same replies on every copy, from either instance.
    web = deliveries[3]
    assert len({outcome.body for outcome in web.outcomes}) == 1
    assert '"replies": [{' in web.outcomes[0].body


async def test_kill_9_of_one_instance_under_load_loses_and_doubles_nothing(
    instances: Callable[..., list[ServerProcess]], fakes: FakePlatforms,
    session: aiohttp.ClientSession, shared_url: str,
    balancer: Callable[[list[ServerProcess]], Any],
) -> None:
    for platform in PLATFORMS:
        fakes.links[platform].latency = 0.2  # answers take a while: sends are on the wire
    servers = instances(2, {"reply_budget_seconds": 0})  # WeChat answers through the API
    await asyncio.gather(*(server.start() for server in servers))
    front: Balancer = await balancer(servers)
    crowd = Crowd(session, front.url, fakes, LOAD, TEXTS, think=0.2)
    await crowd.start()
    await until(lambda: len(crowd.messages) >= 80, 30, "the load got going")
    victim, survivor = servers
    await victim.kill()
    sending, unanswered = left_at_the_kill(shared_url)
    written = len(crowd.messages)
    killed = time.monotonic()
    # The survivor carries the whole load alone …
    await until(lambda: len(crowd.messages) >= written + 60, 30, "the load went on")
    await crowd.stop()
    # … and answers what the dead one had taken once their leases (15 s) lapse.
    try:
        await until(lambda: tally(shared_url, crowd.deliveries, fakes.sends()).settled,
                    max(1.0, 25 - (time.monotonic() - killed)),
                    "every acknowledged message answered and sent")
    except AssertionError as error:
        summary = tally(shared_url, crowd.deliveries, fakes.sends()).summary()
        raise AssertionError(f"{error}; {summary}; {survivor.tail(15)}") from None
    result = tally(shared_url, crowd.deliveries, fakes.sends())
    print(f"at the kill: {sending} rows on the wire, {unanswered} messages taken unanswered; "
          f"{result.summary()}; settled {time.monotonic() - killed:.1f} s after the kill; "
          f"answers by instance {dict(front.served)}")
    assert min(front.served.values()) > 20, "both instances served the load"
    assert crowd.refused == []
    assert result.lost == [] and result.unhandled == [] and result.silent == []
    assert result.handled_twice == [] and result.strays == [] and result.undelivered == []
    assert result.unsent == 0
    assert result.duplicates <= sending  # a send on the wire at the kill may go twice
    assert [message.delivery.key for message in crowd.messages
            if message.replied_after is None and message.delivery.platform != "web"] == []
    # Each customer who wrote 签到 checked in once today, whichever instance handled it.
    checked_in = checkins_by_customer(shared_url)
    assert checked_in and set(checked_in.values()) == {1}
    # The kill caught work in hand (sends on the wire, messages taken, posts cut off
    # mid-way), or this proved nothing.
    cut = any(outcome.status is None or outcome.status == 502
              for message in crowd.messages for outcome in message.delivery.outcomes)
    assert cut or sending + unanswered > 0

"""Duplicate storms: the same signed update, MsgId, wamid or message_id posted many times at
once, on every platform. Each is handled once and answered once; every post gets a 2xx."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import aiohttp

from bot.adapters.wechat.xml import read_fields
from tests.helpers import customers
from tests.helpers.child_server import ServerProcess, until
from tests.helpers.customers import Delivery
from tests.helpers.platforms import FakePlatforms
from tests.helpers.tally import tally
from tests.helpers.wechat import decrypt_reply

COPIES = 40


async def storm(session: aiohttp.ClientSession, url: str, deliveries: list[Delivery]) -> None:
    """Post every delivery COPIES times, all at once."""
    await asyncio.gather(*(customers.post(session, url, delivery)
                           for delivery in deliveries for _ in range(COPIES)))


async def test_a_storm_on_every_platform_is_handled_and_answered_once(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    server = serve(wechat={"reply_budget_seconds": 0})  # WeChat answers through the API
    await server.start()
    visitor = await customers.web_visitor(session, server.url)
    deliveries: list[Delivery] = [
        customers.telegram(7_100_001, "多久发货"),
        customers.whatsapp("8613900000777", "运费多少"),
        customers.wechat("oStorm-000001", "how do I return something?"),
        customers.web(visitor, "多久发货"),
    ]
    await storm(session, server.url, deliveries)
    await until(lambda: tally(server.db, deliveries, fakes.sends()).settled, 10,
                "the replies went out")
    result = tally(server.db, deliveries, fakes.sends())
    assert [outcome.status for delivery in deliveries for outcome in delivery.outcomes] == (
        [200] * COPIES * len(deliveries))
    assert result.acked == len(deliveries) and result.lost == [] and result.silent == []
    assert result.handled_twice == [] and result.duplicates == 0 and result.strays == []
    for platform in ("telegram", "whatsapp", "wechat"):
        sends = Counter(send.body for send in fakes.sends(platform))
        assert sends and set(sends.values()) == {1}, (platform, sends)
    # The web visitor got the same replies on every copy.
    web = deliveries[-1]
    assert len({outcome.body for outcome in web.outcomes}) == 1
    assert '"replies": [{' in web.outcomes[0].body


async def test_a_wechat_storm_gets_the_one_passive_answer_on_every_copy(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    server = serve()  # answers within the default 3 s budget go back in WeChat's HTTP answer
    await server.start()
    delivery = customers.wechat("oStorm-000002", "多久发货")
    await storm(session, server.url, [delivery])
    result = tally(server.db, [delivery], fakes.sends())
    assert {outcome.status for outcome in delivery.outcomes} == {200}
    assert result.handled_twice == [] and result.lost == [] and result.unhandled == []
    # WeChat shows one answer per MsgId: whichever copy's answer reaches it is that answer.
    contents = set()
    for outcome in delivery.outcomes:
        envelope = read_fields(outcome.body.encode())
        reply = read_fields(decrypt_reply(outcome.body, envelope["TimeStamp"],
                                          envelope["Nonce"], envelope["MsgSignature"]).encode())
        contents.add(reply["Content"])
    assert len(contents) == 1 and "16:00" in contents.pop()  # the shipping-time answer
    assert fakes.sends("wechat") == []  # nothing went the customer-service way as well

"""kill -9 in the middle of a load on every platform, then a restart on the same store file.

Every message that got a 2xx must be in the store and handled once, and its replies must reach
the platform; a customer whose post got no answer posts it again (as platforms and the widget
do) and is answered once. A send the platform took in the instant before the kill goes twice
(README, "Duplicates that can remain"): at most once more for each row on the wire then.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from tests.helpers.child_server import ServerProcess, until
from tests.helpers.crowd import Crowd
from tests.helpers.platforms import PLATFORMS, FakePlatforms
from tests.helpers.tally import left_at_the_kill, tally

TEXTS = ["多久发货", "你好", "how do I return something?", "签到", "运费多少", "我的快递到哪了",
         "CL2611180001", "谢谢"]
LOAD = {"web": 6, "telegram": 6, "whatsapp": 6, "wechat": 4}


async def test_kill_9_under_load_loses_nothing_acknowledged(
    serve: Callable[..., ServerProcess], fakes: FakePlatforms, session: aiohttp.ClientSession
) -> None:
    for platform in PLATFORMS:
        fakes.links[platform].latency = 0.2  # answers take a while: sends are on the wire
    server = serve(wechat={"reply_budget_seconds": 0})  # WeChat answers through the API
    await server.start()
    crowd = Crowd(session, server.url, fakes, LOAD, TEXTS, think=0.2)
    await crowd.start()
    await until(lambda: len(crowd.messages) >= 80, 30, "the load got going")
    await server.kill()
    sending, unanswered = left_at_the_kill(server.db)
    written = len(crowd.messages)
    restarted = time.monotonic()
    await server.start()
    await until(lambda: len(crowd.messages) >= written + 40, 30, "the load went on")
    await crowd.stop()
    # Messages the dead process had taken are answered once their lease (15 s) lapses, not
    # at some later round.
    try:
        await until(lambda: tally(server.db, crowd.deliveries, fakes.sends()).settled,
                    max(1.0, 20 - (time.monotonic() - restarted)),
                    "every acknowledged message answered and sent")
    except AssertionError as error:
        summary = tally(server.db, crowd.deliveries, fakes.sends()).summary()
        raise AssertionError(f"{error}; {summary}") from None
    result = tally(server.db, crowd.deliveries, fakes.sends())
    print(f"at the kill: {sending} rows on the wire, {unanswered} messages taken unanswered; "
          f"{result.summary()}; settled {time.monotonic() - restarted:.1f} s after restart")
    assert crowd.refused == []
    assert result.lost == [] and result.unhandled == [] and result.silent == []
    assert result.handled_twice == [] and result.strays == [] and result.undelivered == []
    assert result.unsent == 0
    assert result.duplicates <= sending
    # Every customer on a platform saw a reply; web visitors in their answer or their log.
    assert [message.delivery.key for message in crowd.messages
            if message.replied_after is None and message.delivery.platform != "web"] == []
    # The kill did cut posts off mid-way, or this proved nothing.
    assert any(message.delivery.outcomes[0].status is None for message in crowd.messages)

"""A crowd of customers on every platform, each writing, waiting for the answer, then again.

A customer posts a message the way its platform does: a post that gets no answer or a 5xx is
posted again (the same update, the same message id) until it is acknowledged. The reply
counts when it is in the HTTP answer (web chat, a WeChat passive reply) or when the fake
platform API took a send to the customer's chat. Latency runs from the first post to that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from tests.helpers import customers
from tests.helpers.customers import Delivery
from tests.helpers.platforms import FakePlatforms

RETRY_PAUSE = 0.2


class SendWatch:
    """When each chat got each send the fakes accepted, read incrementally (cheap to poll)."""

    def __init__(self, platforms: FakePlatforms) -> None:
        self.platforms = platforms
        self.times: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.total = 0
        self._read = {"telegram": 0, "whatsapp": 0, "wechat": 0}

    def update(self) -> None:
        """Take in the sends accepted since the last update."""
        now = time.perf_counter()
        fakes = self.platforms
        chats: dict[str, list[str]] = {
            "telegram": [str(params["chat_id"]) for params in
                         fakes.telegram.delivered[self._read["telegram"]:]],
            "whatsapp": [str(received.body.get("to")) for received in
                         fakes.whatsapp.received[self._read["whatsapp"]:]],
        }
        attempts = fakes.wechat.attempts[self._read["wechat"]:]
        chats["wechat"] = [str(attempt.body.get("touser")) for attempt in attempts
                           if attempt.answer == {"errcode": 0, "errmsg": "ok"}]
        self._read["telegram"] += len(chats["telegram"])
        self._read["whatsapp"] += len(chats["whatsapp"])
        self._read["wechat"] += len(attempts)
        for platform, new in chats.items():
            for chat in new:
                self.times[(platform, chat)].append(now)
            self.total += len(new)

    def count(self, platform: str, chat_id: str) -> int:
        """How many sends this chat got so far."""
        return len(self.times.get((platform, chat_id), ()))


@dataclass(slots=True)
class Message:
    """One message a customer wrote and what became of it."""

    delivery: Delivery
    started: float
    acked_after: float | None = None
    replied_after: float | None = None  # None: no reply seen (yet)


@dataclass
class Crowd:
    """Customers on `platforms` (name → how many) writing `texts` in turn until stopped."""

    session: aiohttp.ClientSession
    url: str
    fakes: FakePlatforms
    platforms: dict[str, int]
    texts: Sequence[str]
    think: float = 0.3  # seconds a customer waits after a reply before writing again
    jitter: float = 0.0  # … plus up to this many, at random
    reply_timeout: float = 60.0
    give_up: float = 120.0  # seconds of posts without an acknowledgement before giving up
    messages: list[Message] = field(default_factory=list)
    refused: list[tuple[Delivery, int]] = field(default_factory=list)  # 4xx: must not happen
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _watch: SendWatch | None = None

    @property
    def watch(self) -> SendWatch:
        """The fakes' sends, by chat."""
        if self._watch is None:
            self._watch = SendWatch(self.fakes)
        return self._watch

    @property
    def deliveries(self) -> list[Delivery]:
        """Every message written so far."""
        return [message.delivery for message in self.messages]

    async def start(self) -> None:
        """Sign the web visitors in, then let everyone write."""
        makers: list[Callable[[str], Delivery]] = []
        for platform, count in self.platforms.items():
            for number in range(count):
                makers.append(await self._maker(platform, number))
        self._tasks = [asyncio.create_task(self._customer(index, make))
                       for index, make in enumerate(makers)]

    async def stop(self) -> None:
        """Let each customer finish the message in hand, then stop."""
        self._stopping.set()
        await asyncio.gather(*self._tasks)

    async def _maker(self, platform: str, number: int) -> Callable[[str], Delivery]:
        if platform == "web":
            visitor = await customers.web_visitor(self.session, self.url)
            return lambda text: customers.web(visitor, text)
        if platform == "telegram":
            return lambda text: customers.telegram(7_000_000 + number, text)
        if platform == "whatsapp":
            return lambda text: customers.whatsapp(f"86139{number:08d}", text)
        if platform == "wechat":
            return lambda text: customers.wechat(f"oCrowd-{number:06d}", text)
        raise ValueError(f"no such platform: {platform}")

    async def _customer(self, index: int, make: Callable[[str], Delivery]) -> None:
        turn = index
        while not self._stopping.is_set():
            text = self.texts[turn % len(self.texts)]
            turn += 1
            await self.write(make(text))
            pause = self.think + random.random() * self.jitter
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def write(self, delivery: Delivery) -> Message:
        """Post until acknowledged (or refused), then wait for the reply."""
        self.watch.update()
        before = self.watch.count(delivery.platform, delivery.chat_id)
        message = Message(delivery, time.perf_counter())
        self.messages.append(message)
        while True:
            outcome = await customers.post(self.session, self.url, delivery)
            if outcome.acked:
                break
            if outcome.status is not None and outcome.status < 500 and outcome.status != 429:
                self.refused.append((delivery, outcome.status))
                return message
            if time.perf_counter() - message.started > self.give_up:
                return message  # never acknowledged: nobody was told it was taken
            await asyncio.sleep(RETRY_PAUSE)
        message.acked_after = time.perf_counter() - message.started
        if delivery.platform == "web":
            # An empty answer: the message was in hand elsewhere; its reply comes in the log.
            if json.loads(outcome.body).get("replies"):
                message.replied_after = message.acked_after
            return message
        if delivery.platform == "wechat" and outcome.body != "success":
            message.replied_after = message.acked_after  # the passive reply
            return message
        deadline = time.perf_counter() + self.reply_timeout
        while time.perf_counter() < deadline:
            self.watch.update()
            times = self.watch.times.get((delivery.platform, delivery.chat_id), [])
            if len(times) > before:
                message.replied_after = times[before] - message.started
                return message
            await asyncio.sleep(0.02)
        return message

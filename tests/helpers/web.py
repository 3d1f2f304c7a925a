"""A web chat visitor over HTTP: a session of its own, then messages and history like a browser."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.websession import PURPOSE

Client = TestClient[Any, Any]
_ids = itertools.count(1)


class Visitor:
    """One browser's session (a bearer token) talking to /api/chat."""

    def __init__(self, client: Client, token: str, user_id: str) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id

    @property
    def headers(self) -> dict[str, str]:
        """What each of this visitor's requests carries."""
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, body: dict[str, Any]) -> Any:
        """POST /api/chat and return the response."""
        return await self.client.post("/api/chat", json=body, headers=self.headers)

    async def say(self, text: str, message_id: str | None = None, **fields: Any) -> Any:
        """Type a message; the JSON answer (asserting 200)."""
        body = {"text": text, "message_id": message_id or f"m{next(_ids)}", **fields}
        response = await self.post(body)
        assert response.status == 200, await response.text()
        return await response.json()

    async def history(self, after: int = 0) -> list[dict[str, Any]]:
        """The lines GET /api/chat/history gives this visitor."""
        response = await self.client.get(
            "/api/chat/history", params={"after": str(after)}, headers=self.headers
        )
        assert response.status == 200, await response.text()
        return list((await response.json())["messages"])


async def visit(client: Client) -> Visitor:
    """A new visitor with a token session (what an embedded chat or an API client uses)."""
    response = await client.post("/api/chat/session", json={"mode": "token"})
    assert response.status == 200, await response.text()
    data = await response.json()
    return Visitor(client, data["token"], data["user_id"])


def bearer(bot: Any, user_id: str) -> dict[str, str]:
    """Headers of a session for a web identity a test made through the pipeline."""
    return {"Authorization": f"Bearer {bot.signer.sign(PURPOSE, user_id, bot.clock.now())}"}

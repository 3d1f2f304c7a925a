"""The server's logs as an operator reads them: JSON lines that parse, one line per message with
the request id that follows it through the outbox, an access log, start and stop lines, and
no secret, token or second factor anywhere, at any level."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp

from bot.cli.logs import JsonFormatter, Masking, RequestIds, TextFormatter
from bot.core.redact import Redactor
from bot.core.tracing import bound_request_id
from tests.adapters.telegram.test_adapter import text_update
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.server import environment, start_server, write_config
from tests.helpers.wechat import APP_ID

TELEGRAM_TOKEN = "7123456789:AAH-SENTINELtelegramTOKEN0123456789abc"
SENTINELS = {
    "TG_TOKEN": TELEGRAM_TOKEN,
    "TG_SECRET": "SENTINEL-tg-webhook-secret",
    "WA_TOKEN": "SENTINEL-whatsapp-access-token",
    "WA_APP_SECRET": "SENTINEL-whatsapp-app-secret",
    "WA_VERIFY": "SENTINEL-whatsapp-verify-token",
    "WECHAT_TOKEN": "SENTINELwechatToken2026",
    "WECHAT_APP_SECRET": "SENTINEL-wechat-app-secret",
    "WEB_SECRET": "SENTINEL-web-session-secret-0123456789abcdef",
    "EVENTS": "SENTINEL-order-events-secret",
    "METRICS": "SENTINEL-metrics-bearer-token",
    "SHOP": "Bearer SENTINEL-shop-api-token",
}
SECOND_FACTOR = "5678"  # the last digits of the sample order's phone
SECOND_FACTOR_EMAIL = "mei.lin@example.com"  # the third sample order's factor


def lines_of(text: str) -> list[dict[str, Any]]:
    """Every line of a JSON log, parsed (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_json_lines_parse_and_carry_the_request_id_through_the_outbox(
    tmp_path: Path,
) -> None:
    api = FakeTelegramApi(TELEGRAM_TOKEN)
    await api.start()
    config = write_config(
        tmp_path, server={"log_format": "json"},
        platforms__telegram={"enabled": True, "token_env": "TG_TOKEN",
                             "secret_token_env": "TG_SECRET", "api_base_url": api.base_url},
    )
    server = await start_server(config, environment(**SENTINELS))
    try:
        async with aiohttp.ClientSession() as session, session.post(
            server.url + "/webhooks/telegram", json=text_update(41, "多久发货", 941),
            headers={"X-Telegram-Bot-Api-Secret-Token": SENTINELS["TG_SECRET"]},
        ) as response:
            assert response.status == 200
            request_id = response.headers["X-Request-Id"]
        await api.wait_for("sendMessage")
    finally:
        await api.close()
        assert await server.stop() == 0
    lines = lines_of(server.logs())
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line)
               for line in lines)
    traced = [line for line in lines if line["request_id"] == request_id]
    by_logger = {line["logger"]: line for line in traced}
    assert by_logger["brandbot.access"]["path"] == "/webhooks/telegram"
    assert by_logger["brandbot.access"]["status"] == 200
    handled = by_logger["bot.runtime.pipeline"]
    assert (handled["platform"], handled["message_id"], handled["route"]) == (
        "telegram", "41", "faq"
    )
    assert handled["outcome"] == "answered" and handled["ms"] > 0
    sent = by_logger["bot.runtime.outbox"]
    assert (sent["platform"], sent["result"]) == ("telegram", "sent")
    started = next(line for line in lines if line["message"].startswith("brandbot "))
    assert started["platforms"] == ["telegram"] and started["store"].endswith("brandbot.db")
    assert started["version"] and started["migrations"] >= 11
    assert lines[-1]["message"].startswith("brandbot stopped after")


async def test_sentinel_secrets_and_second_factors_never_appear_in_the_logs(
    tmp_path: Path,
) -> None:
    """Every platform on, debug logging, failing sends and probes, a wrong metrics token,
    order lookups with second factors: the sentinels appear in no line."""
    telegram = FakeTelegramApi(TELEGRAM_TOKEN)
    await telegram.start()
    wechat = FakeWeChatApi(APP_ID, "not-the-configured-secret")  # token fetches fail
    await wechat.start()
    config = write_config(
        tmp_path,
        server={"metrics_token_env": "METRICS"},
        web={"session_secret_env": "WEB_SECRET"},
        orders={"events_secret_env": "EVENTS"},
        orders__http={"auth_env": "SHOP"},
        platforms__telegram={"enabled": True, "token_env": "TG_TOKEN",
                             "secret_token_env": "TG_SECRET", "api_base_url": telegram.base_url},
        platforms__whatsapp={"enabled": True, "phone_number_id": "106540352242922",
                             "access_token_env": "WA_TOKEN", "app_secret_env": "WA_APP_SECRET",
                             "verify_token_env": "WA_VERIFY",
                             "api_base_url": "http://127.0.0.1:9"},
        platforms__wechat={"enabled": True, "app_id": APP_ID, "mode": "plain",
                           "token_env": "WECHAT_TOKEN", "app_secret_env": "WECHAT_APP_SECRET",
                           "api_base_url": wechat.url},
    )
    server = await start_server(config, environment(**SENTINELS), "--verbose")
    for _ in range(3):
        telegram.fail_next("sendMessage", 401, {"ok": False, "error_code": 401,
                                                "description": "Unauthorized"})
    try:
        async with aiohttp.ClientSession() as session:
            for number, text in enumerate(
                ["where is my parcel", "CL2611180001", SECOND_FACTOR, "CL2611100003",
                 SECOND_FACTOR_EMAIL], 50
            ):
                async with session.post(
                    server.url + "/webhooks/telegram", json=text_update(number, text, number),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SENTINELS["TG_SECRET"]},
                ) as response:
                    assert response.status == 200
            async with session.post(
                server.url + "/webhooks/telegram", json=text_update(60, "hi", 60),
                headers={"X-Telegram-Bot-Api-Secret-Token": "a-wrong-secret"},
            ) as response:
                assert response.status == 403
            async with session.post(
                server.url + "/webhooks/whatsapp", data=b"{}",
                headers={"X-Hub-Signature-256": "sha256=00"},
            ) as response:
                assert response.status == 403
            async with session.get(server.url + "/readyz") as response:
                assert response.status == 503  # WeChat's token cannot be fetched
                assert "SENTINEL" not in await response.text()
            for token in ("wrong", SENTINELS["METRICS"]):
                async with session.get(
                    server.url + "/metrics", headers={"Authorization": f"Bearer {token}"}
                ):
                    pass
            async with session.post(
                server.url + "/api/chat/session", json={"mode": "token"}
            ) as response:
                token = (await response.json())["token"]
            async with session.post(
                server.url + "/api/chat", headers={"Authorization": f"Bearer {token}"},
                json={"text": SECOND_FACTOR_EMAIL, "message_id": "m-1"},
            ) as response:
                assert response.status == 200
        await telegram.wait_for("sendMessage", 5, timeout=20)
    finally:
        await telegram.close()
        await wechat.close()
        assert await server.stop() == 0
    logs = server.logs()
    assert " DEBUG " in logs  # the most talkative level was on
    assert re.search(r"outbox row \d+ failed: HTTP 401", logs)  # failing sends were logged
    assert "bad signature from telegram" in logs and "bad signature from whatsapp" in logs
    for name, secret in SENTINELS.items():
        assert secret.removeprefix("Bearer ") not in logs, name
    assert "SENTINEL" not in logs
    assert SECOND_FACTOR_EMAIL not in logs and token not in logs
    # The start line names the process id, which could be any number: leave it out.
    body = "\n".join(line for line in logs.splitlines() if " started: " not in line)
    assert re.search(rf"\b{SECOND_FACTOR}\b", body) is None


def test_a_secret_in_any_record_is_masked_tracebacks_included() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIds())
    handler.setFormatter(Masking(JsonFormatter(), Redactor(["hunter2-secret"])))
    log = logging.getLogger("tests.masking")
    log.addHandler(handler)
    log.propagate = False
    try:
        with bound_request_id("req-0001-abcd"):
            try:
                raise ValueError("the API refused token hunter2-secret")
            except ValueError:
                log.exception(
                    "send failed for %s", "hunter2-secret", extra={"key": "hunter2-secret"}
                )
    finally:
        log.removeHandler(handler)
    [line] = lines_of(stream.getvalue())
    assert "hunter2" not in stream.getvalue()
    assert line["message"] == "send failed for [redacted]" and line["key"] == "[redacted]"
    assert "ValueError: the API refused token [redacted]" in line["exception"]
    assert line["request_id"] == "req-0001-abcd"


def test_the_text_format_names_the_request_id() -> None:
    record = logging.makeLogRecord({"name": "bot.x", "msg": "hello %s", "args": ("you",),
                                    "levelname": "INFO", "request_id": "abc12345"})
    assert TextFormatter().format(record).endswith(" INFO [abc12345] bot.x: hello you")

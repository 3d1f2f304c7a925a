"""Script folding: the quick path for text t2s would not change gives OpenCC's answer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from opencc import OpenCC

from bot.core.language import _conversions, to_simplified, to_traditional

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "faq-eval"


def corpus() -> list[str]:
    """Real simplified questions, and the same in traditional script."""
    texts: list[str] = []
    for name in ("atec/dev_queries.csv", "xsid-zh/dev.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    traditional = OpenCC("s2t")
    return texts + [traditional.convert(text) for text in texts]


def test_the_converter_s_dictionaries_are_read() -> None:
    # Without them every text would take the slow path: right, but the point is lost.
    assert _conversions() is not None


def test_every_text_folds_exactly_as_opencc_folds_it() -> None:
    converter = OpenCC("t2s")
    texts = corpus()
    assert len(texts) > 1000
    wrong = [text for text in texts if to_simplified.__wrapped__(text) != converter.convert(text)]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "simplified"),
    [("回覆我", "回复我"), ("一目瞭然", "一目了然"), ("沈默是金", "沉默是金"), ("頭髮", "头发"),
     ("什么时候发货", "什么时候发货"), ("乾隆", "乾隆"), ("hello 你好", "hello 你好"),
     ("我們的訂單什麼時候發貨", "我们的订单什么时候发货")],
)
def test_phrases_that_convert_characters_kept_alone_still_convert(
    text: str, simplified: str
) -> None:
    assert to_simplified(text) == simplified


def test_traditional_serving_is_unchanged() -> None:
    assert to_traditional("我们的订单什么时候发货") == "我們的訂單什麼時候發貨"

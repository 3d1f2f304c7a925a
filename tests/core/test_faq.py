"""The KB parser rejects malformed files with a KnowledgeBaseError naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import KnowledgeBaseError
from bot.kb.seed import load_faqs, load_texts

GOOD = """
[[faq]]
id = "{id}"

[faq.questions]
zh-Hans = ["运费多少？"]
en = ["How much is shipping?"]

[faq.answer]
zh-Hans = "国内运费 12 元。"
en = "Mainland shipping is 12 yuan."
"""


def write(folder: Path, name: str, text: str) -> Path:
    (folder / "faq").mkdir(exist_ok=True)
    path = folder / "faq" / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(folder: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_faqs(folder)
    return "; ".join(caught.value.problems)


def test_a_good_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "shipping.toml", GOOD.format(id="shipping-fee"))
    [faq] = load_faqs(tmp_path)
    assert faq.id == "shipping-fee"
    assert faq.answer("en") == "Mainland shipping is 12 yuan."


def test_bad_toml(tmp_path: Path) -> None:
    write(tmp_path, "broken.toml", '[[faq]]\nid = "shipping-fee\n')
    problems = problems_of(tmp_path)
    assert "broken.toml" in problems
    assert "not valid TOML" in problems


def test_missing_answer(tmp_path: Path) -> None:
    text = GOOD.format(id="shipping-fee").split("[faq.answer]")[0]
    write(tmp_path, "shipping.toml", text)
    problems = problems_of(tmp_path)
    assert "shipping-fee" in problems
    assert "needs an answer or an action" in problems


def test_an_action_replaces_the_answer(tmp_path: Path) -> None:
    text = GOOD.format(id="order-status").split("[faq.answer]")[0]
    write(
        tmp_path,
        "orders.toml",
        text.replace("\n[faq.questions]", 'action = "orders.lookup"\n\n[faq.questions]'),
    )
    [faq] = load_faqs(tmp_path)
    assert faq.action == "orders.lookup"


@pytest.mark.parametrize("bad_id", ["Shipping Fee", "运费", "-leading-dash", ""])
def test_bad_id(tmp_path: Path, bad_id: str) -> None:
    write(tmp_path, "shipping.toml", GOOD.replace('"{id}"', f'"{bad_id}"'))
    problems = problems_of(tmp_path)
    assert "shipping.toml" in problems
    assert f"id {bad_id!r} must be lowercase" in problems


def test_unknown_language(tmp_path: Path) -> None:
    text = GOOD.format(id="shipping-fee").replace(
        'en = ["How', 'zh-Hant = ["運費多少"]\nen = ["How'
    )
    write(tmp_path, "shipping.toml", text)
    problems = problems_of(tmp_path)
    assert "shipping-fee" in problems
    assert "questions.zh-Hant: unknown language" in problems


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD.format(id="shipping-fee"))
    write(tmp_path, "b.toml", GOOD.format(id="shipping-fee"))
    problems = problems_of(tmp_path)
    assert "b.toml: faq shipping-fee: id used twice" in problems


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD.format(id="shipping-fee") * 2)
    assert "shipping-fee: id used twice" in problems_of(tmp_path)


def test_single_brackets_instead_of_double(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD.format(id="shipping-fee").replace("[[faq]]", "[faq]"))
    assert "[[faq]]" in problems_of(tmp_path)


def test_link_that_is_not_a_table(tmp_path: Path) -> None:
    text = GOOD.format(id="shipping-fee").replace(
        "\n[faq.questions]", 'link = "https://cloudleaf.example/shipping"\n\n[faq.questions]'
    )
    write(tmp_path, "a.toml", text)
    assert "shipping-fee: link must be a table" in problems_of(tmp_path)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", "not toml at all = = =")
    write(tmp_path, "b.toml", GOOD.replace('"{id}"', '"Bad Id"'))
    problems = problems_of(tmp_path)
    assert "a.toml" in problems
    assert "b.toml" in problems


def test_bad_replies_toml(tmp_path: Path) -> None:
    (tmp_path / "replies.toml").write_text('welcome = "not a table"\n', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="welcome must be a table of languages"):
        load_texts(tmp_path)


def test_missing_replies_toml(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"replies\.toml"):
        load_texts(tmp_path)

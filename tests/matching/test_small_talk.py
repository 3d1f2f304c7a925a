"""The small-talk recogniser: messages covered by phrasings and fillers, questions kept whole."""

from __future__ import annotations

import pytest

from bot.matching.small_talk import SmallTalkEntry, SmallTalkRecognizer, units

RECOGNIZER = SmallTalkRecognizer([
    SmallTalkEntry("hello", "greeting", ("你好", "在吗", "hi", "hello")),
    SmallTalkEntry("thanks", "thanks", ("谢谢", "thanks", "thank you", "🙏")),
    SmallTalkEntry("bye", "goodbye", ("再见", "bye")),
    SmallTalkEntry("ok", "acknowledge", ("ok", "好的", "嗯")),
    SmallTalkEntry("complaint", "complaint", ("我要投诉", "this is terrible", "terrible")),
    SmallTalkEntry("distress", "distress", ("想死", "suicidal"), ("想死你们了",)),
])


@pytest.mark.parametrize(
    ("text", "entries"),
    [("谢谢", ("thanks",)), ("謝謝！！", ("thanks",)), ("THANK YOU so much guys", ("thanks",)),
     ("亲，在吗？", ("hello",)), ("ok thanks bye", ("ok", "thanks", "bye")),
     ("嗯嗯嗯", ("ok", "ok", "ok")), ("hiiii", ("hello",)), ("helo", ("hello",)),
     ("thnaks", ("thanks",)), ("🙏🏻", ("thanks",))],
)
def test_whole_messages_of_small_talk(text: str, entries: tuple[str, ...]) -> None:
    reading = RECOGNIZER.read(text)
    assert reading.is_small_talk and reading.entries == entries


def test_the_reply_answers_the_move_that_matters_most() -> None:
    assert RECOGNIZER.read("ok thanks bye").category == "thanks"
    assert RECOGNIZER.read("你好，我要投诉").entry == "complaint"


@pytest.mark.parametrize(
    ("text", "question"),
    [("你好，请问多久发货呀谢谢", "多久发货呀"),
     ("hi, do you ship to Canada? thanks", "do you ship to canada"),
     ("你好你们几点开门", "几点开门"), ("where is my order", "where is my order")],
)
def test_a_question_wrapped_in_small_talk_keeps_the_question(text: str, question: str) -> None:
    reading = RECOGNIZER.read(text)
    assert not reading.is_small_talk and reading.question == question


def test_fillers_alone_are_not_small_talk() -> None:
    assert not RECOGNIZER.read("so very much guys").is_small_talk
    assert RECOGNIZER.read("客服").entries == ()


def test_distress_counts_anywhere_unless_a_negative_excuses_it() -> None:
    assert RECOGNIZER.read("我最近真的很累，想死").anywhere == "distress"
    assert RECOGNIZER.read("I have been feeling suicidal for weeks").anywhere == "distress"
    assert RECOGNIZER.read("想死你们了，好久不见").anywhere is None


def test_a_one_word_complaint_counts_only_as_the_whole_message() -> None:
    assert RECOGNIZER.read("terrible").entry == "complaint"
    assert RECOGNIZER.read("is boiling water terrible for green tea").anywhere is None
    assert RECOGNIZER.read("我要投诉你们的快递").anywhere == "complaint"


def test_units_fold_script_case_width_and_punctuation() -> None:
    assert units("ＴＨＡＮＫＳ！謝謝 👍🏽") == ("thanks", "谢", "谢", "👍")


def test_long_messages_cost_no_more_than_their_ends() -> None:
    text = "你好，" + "这个茶怎么样" * 400 + "谢谢"
    reading = RECOGNIZER.read(text)
    assert reading.entries == ("hello", "thanks") and not reading.is_small_talk


def test_a_typo_is_repaired_the_same_each_time_and_a_real_word_left_alone() -> None:
    recognizer = SmallTalkRecognizer([SmallTalkEntry("thanks", "thanks", ("thanks",))])
    for _ in range(3):  # the second and third come from what the first one found
        assert recognizer.read("thnaks").entries == ("thanks",)
        assert recognizer.read("parcel tracking").question == "parcel tracking"

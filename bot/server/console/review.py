"""The review queue: questions the bot answered badly, grouped, attached or answered in a click."""

from __future__ import annotations

from aiohttp import web

from bot.core.errors import ReviewError
from bot.kb.review_groups import group
from bot.server.console.member import Staff
from bot.server.console.render import PREFIX, page, redirect
from bot.server.running import BOT_KEY, Running

QUEUE = 200
BACK = f"{PREFIX}/review"


async def review_page(request: web.Request, staff: Staff) -> web.Response:
    """Open questions in groups of similar ones, most asked first."""
    bot = request.app[BOT_KEY]
    items = bot.store.kb_review.items(limit=QUEUE)
    faqs = bot.store.kb.all(include_disabled=True)
    titles = {faq.id: faq.title("zh-Hans") for faq in faqs}
    return page(request, "review.html", {"groups": group(items), "titles": titles,
                                         "count": len(items)})


async def _items(request: web.Request) -> list[int]:
    form = await request.post()
    raws = [str(raw) for raw in form.getall("item", []) if isinstance(raw, str)]
    return [int(raw) for raw in raws if raw.isdigit()]


def _audit(bot: Running, staff: Staff, action: str, target: str, item: int) -> None:
    bot.store.staff.audit(staff=staff.id, role=staff.role, action=action, target=target,
                          after={"review_item": item}, now=bot.clock.now())


async def attach(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Add the questions as phrasings of an FAQ; they leave the queue."""
    bot = request.app[BOT_KEY]
    items = await _items(request)
    faq_id = str((await request.post()).get("faq", "")).strip()
    if not items or not faq_id:
        return redirect(BACK, "review_pick_faq", "error")
    now = bot.clock.now()
    try:
        with bot.store.transaction():
            for item in items:
                faq = bot.store.kb_review.attach(item, faq_id, staff.id, now)
                _audit(bot, staff, "kb.attach", faq.id, item)
    except ReviewError as error:
        return redirect(BACK, str(error), "error")
    return redirect(BACK, "review_attached")


async def create(request: web.Request, staff: Staff) -> web.StreamResponse:
    """A new FAQ from the first question with the answer given; the others join it."""
    bot = request.app[BOT_KEY]
    items = await _items(request)
    form = await request.post()
    answer = str(form.get("answer", "")).strip()
    if not items or not answer:
        return redirect(BACK, "review_needs_answer", "error")
    now = bot.clock.now()
    try:
        with bot.store.transaction():
            faq = bot.store.kb_review.create(items[0], answer, staff.id, now)
            _audit(bot, staff, "kb.create", faq.id, items[0])
            for item in items[1:]:
                bot.store.kb_review.attach(item, faq.id, staff.id, now)
                _audit(bot, staff, "kb.attach", faq.id, item)
    except ReviewError as error:
        return redirect(BACK, str(error), "error")
    return redirect(f"{PREFIX}/kb/{faq.id}/edit", "review_created")


async def dismiss(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Take the questions out of the queue without changing the knowledge base."""
    bot = request.app[BOT_KEY]
    items = await _items(request)
    if not items:
        return redirect(BACK, "review_pick_items", "error")
    now = bot.clock.now()
    try:
        with bot.store.transaction():
            for item in items:
                bot.store.kb_review.dismiss(item, staff.id, now)
                _audit(bot, staff, "kb.dismiss", f"#{item}", item)
    except ReviewError as error:
        return redirect(BACK, str(error), "error")
    return redirect(BACK, "review_dismissed")

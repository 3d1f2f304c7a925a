"""The knowledge-base pages: list and search, the editor with its test pane and preview,
revisions with diffs, undo and restore, CSV import with its report, and export."""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

from aiohttp import web

from bot.core.errors import KnowledgeBaseError
from bot.core.faq import Faq, faq_from_dict
from bot.core.language import to_simplified
from bot.kb import impact, revisions, upload
from bot.kb.csv_format import dump_csv
from bot.server.console.kb_form import faq_of, fields_of, fingerprint
from bot.server.console.member import Staff
from bot.server.console.render import PREFIX, page, redirect
from bot.server.http import json_response
from bot.server.running import BOT_KEY, Running

LISTED = 500
QUESTIONS = 500  # recent customer questions a preview ranks
LONGEST_UPLOAD = 4 * 1024 * 1024


def _matches(faq: Faq, needle: str) -> bool:
    haystack = " ".join([faq.id, *faq.phrasings(), *faq.answers.values(), *faq.keywords])
    return needle in to_simplified(haystack).casefold()


async def kb_list(request: web.Request, staff: Staff) -> web.Response:
    """Every FAQ, or those containing the search text; on, off or both."""
    bot = request.app[BOT_KEY]
    query = request.query.get("q", "").strip()
    show = request.query.get("show", "all")
    tag = request.query.get("tag", "")
    needle = to_simplified(query).casefold()
    everything = bot.store.kb.all(include_disabled=True)
    faqs = [
        faq for faq in everything
        if (not needle or _matches(faq, needle))
        and (show == "all" or faq.enabled == (show == "on"))
        and (not tag or tag in faq.tags)
    ]
    return page(request, "kb_list.html", {
        "faqs": faqs[:LISTED], "total": len(faqs), "q": query, "show": show, "tag": tag,
        "tags": sorted({name for faq in everything for name in faq.tags}),
        "votes": bot.store.statistics.feedback(),
    })


def _actions(bot: Running) -> list[str]:
    return sorted(bot.pipeline.actions)


def _editor(
    request: web.Request, faq: Faq | None, fields: dict[str, str], problems: list[str],
    status: int = 200,
) -> web.Response:
    bot = request.app[BOT_KEY]
    return page(request, "kb_edit.html", {
        "faq": faq, "fields": fields, "problems": problems, "actions": _actions(bot),
        "base": fingerprint(faq), "settings": bot.config.knowledge_base,
    }, status=status)


def _faq(request: web.Request) -> Faq:
    faq = request.app[BOT_KEY].store.kb.get(request.match_info["faq"])
    if faq is None:
        raise web.HTTPNotFound(text="no such FAQ")
    return faq


async def kb_new(request: web.Request, staff: Staff) -> web.Response:
    """An empty editor for a new FAQ."""
    return _editor(request, None, fields_of(None), [])


async def kb_edit(request: web.Request, staff: Staff) -> web.Response:
    """The editor for one FAQ."""
    faq = _faq(request)
    return _editor(request, faq, fields_of(faq), [])


def _new_id(bot: Running, form: dict[str, str]) -> str:
    """A free id from the first English phrasing, else faq-0001, faq-0002 …"""
    english = form.get("questions.en", "").strip().split("\n")[0]
    slug = "-".join(re.findall(r"[a-z0-9]+", english.casefold()))[:40].strip("-")
    if slug and bot.store.kb.get(slug) is None:
        return slug
    numbered = (f"{slug or 'faq'}-{n:04d}" for n in itertools.count(1))
    return next(candidate for candidate in numbered if bot.store.kb.get(candidate) is None)


async def kb_save(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Save the editor as a revision; refused if someone changed the FAQ since it was opened."""
    bot = request.app[BOT_KEY]
    form = {key: str(value) for key, value in (await request.post()).items()}
    original = form.get("original", "")
    existing = bot.store.kb.get(original) if original else None
    if original and existing is None:
        return _editor(request, None, form, [f"faq {original}: no longer exists"], 400)
    if existing is not None:
        form["id"] = existing.id  # the id is the FAQ's name in revisions: it does not change
    elif not form.get("id", "").strip():
        form["id"] = _new_id(bot, form)
    elif bot.store.kb.get(form["id"].strip()) is not None:
        return _editor(request, None, form, [f"faq {form['id']}: that id is taken"], 400)
    faq, problems = faq_of(form)
    if faq is None:
        return _editor(request, existing, form, problems, 400)
    if existing is not None and form.get("base") != fingerprint(existing):
        changed = [f"faq {faq.id}: changed by someone else since you opened it; copy your"
                   " text, reload the page and apply it again"]
        return _editor(request, existing, form, changed, 409)
    now = bot.clock.now()
    with bot.store.transaction():
        saved = bot.store.kb.save(faq, now, who=staff.id)
        if saved:
            bot.store.staff.audit(
                staff=staff.id, role=staff.role, action="kb.edit" if existing else "kb.add",
                target=faq.id, before=existing.to_dict() if existing else None,
                after=faq.to_dict(), now=now,
            )
    note = "faq_saved" if saved else "faq_unchanged"
    return redirect(f"{PREFIX}/kb/{faq.id}/edit", note)


def _draft(bot: Running, form: dict[str, str]) -> tuple[Faq | None, list[str]]:
    original = form.get("original", "")
    if original:
        form = {**form, "id": original}
    elif not form.get("id", "").strip():
        form = {**form, "id": "new-faq"}
    return faq_of(form)


def _candidate(candidate: Any) -> dict[str, Any]:
    return {"faq_id": candidate.faq_id, "score": round(candidate.score, 3),
            "phrasing": candidate.phrasing,
            "components": {k: round(v, 3) for k, v in candidate.components.items()}}


async def kb_test(request: web.Request, staff: Staff) -> web.Response:
    """How a question is matched against the knowledge base with the draft in it."""
    bot = request.app[BOT_KEY]
    form = {key: str(value) for key, value in (await request.post()).items()}
    question = form.get("question", "").strip()
    if not question:
        return json_response({"error": "type a question to test"}, status=400)
    faqs = bot.store.kb.all(include_disabled=True)
    draft, problems = _draft(bot, form)
    if draft is not None:
        faqs = impact.with_draft(faqs, draft)
    settings = bot.config.knowledge_base
    decision = await asyncio.to_thread(
        lambda: impact.Ranker(faqs, settings).decide(question)
    )
    return json_response({
        "question": question, "outcome": decision.outcome, "faq_id": decision.faq_id,
        "candidates": [_candidate(c) for c in decision.candidates],
        "draft": draft is not None, "problems": problems,
        "thresholds": {"answer": settings.answer_threshold, "margin": settings.answer_margin,
                       "suggest": settings.suggest_threshold},
    })


async def kb_preview(request: web.Request, staff: Staff) -> web.Response:
    """What saving the draft would newly answer, take from other FAQs, or stop answering."""
    bot = request.app[BOT_KEY]
    form = {key: str(value) for key, value in (await request.post()).items()}
    draft, problems = _draft(bot, form)
    if draft is None:
        return json_response({"error": "; ".join(problems), "problems": problems}, status=400)
    faqs = bot.store.kb.all(include_disabled=True)
    questions = [
        *bot.store.statistics.recent_questions(QUESTIONS),
        *(example for item in bot.store.kb_review.items(limit=200) for example in item.examples),
        *(phrasing for faq in faqs if faq.id != draft.id and faq.enabled
          for phrasing in faq.phrasings()),
    ]
    # Two matchers and two rankings of every question: seconds on a large KB, off the loop.
    found = await asyncio.to_thread(
        impact.preview, faqs, draft, questions, bot.config.knowledge_base
    )

    def moves(items: list[impact.Move]) -> list[dict[str, Any]]:
        return [{"question": m.question, "before": m.before, "after": m.after,
                 "outcome": m.outcome} for m in items]

    return json_response({"checked": found.checked, "captured": moves(found.captured),
                          "taken": moves(found.taken), "lost": moves(found.lost)})


async def kb_history(request: web.Request, staff: Staff) -> web.Response:
    """Every revision of an FAQ, newest first, with what each changed."""
    bot = request.app[BOT_KEY]
    faq = _faq(request)
    entries = [
        {"revision": revision, "changes": revisions.changes(revision.before, revision.after)}
        for revision in reversed(bot.store.kb.revisions(faq.id))
    ]
    return page(request, "kb_history.html", {"faq": faq, "entries": entries})


async def kb_restore(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Make an FAQ what it was after an earlier revision (a new revision)."""
    bot = request.app[BOT_KEY]
    faq = _faq(request)
    form = await request.post()
    raw = str(form.get("revision", ""))
    chosen = next((r for r in bot.store.kb.revisions(faq.id) if str(r.id) == raw), None)
    if chosen is None:
        return redirect(f"{PREFIX}/kb/{faq.id}/history", "no_such_revision", "error")
    restored, problems = faq_from_dict(chosen.after)
    if restored is None:
        raise KnowledgeBaseError(problems)
    now = bot.clock.now()
    with bot.store.transaction():
        if bot.store.kb.save(restored, now, who=staff.id):
            bot.store.staff.audit(staff=staff.id, role=staff.role, action="kb.restore",
                                  target=faq.id, before=faq.to_dict(),
                                  after={**restored.to_dict(), "revision": chosen.id}, now=now)
    return redirect(f"{PREFIX}/kb/{faq.id}/history", "faq_restored")


async def kb_undo(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Revert one's own latest KB change, as `/kb undo` does in chat."""
    bot = request.app[BOT_KEY]
    now = bot.clock.now()
    try:
        with bot.store.transaction():
            faq = bot.store.kb.undo(staff.id, now)
            if faq is None:
                return redirect(f"{PREFIX}/kb", "nothing_to_undo", "error")
            [revision] = bot.store.kb.recent_revisions(1, who=staff.id)
            bot.store.staff.audit(staff=staff.id, role=staff.role, action="kb.undo",
                                  target=faq.id, before=revision.before, after=revision.after,
                                  now=now)
    except KnowledgeBaseError as error:
        return redirect(f"{PREFIX}/kb", "; ".join(error.problems), "error")
    return redirect(f"{PREFIX}/kb/{faq.id}/history", "faq_undone")


async def kb_import_page(request: web.Request, staff: Staff) -> web.Response:
    """The upload form."""
    return page(request, "kb_import.html", {})


async def kb_import(request: web.Request, staff: Staff) -> web.Response:
    """Check an uploaded CSV (the report), or check and import it when asked to."""
    bot = request.app[BOT_KEY]
    form = await request.post()
    sheet = form.get("file")
    if not isinstance(sheet, web.FileField):
        return json_response({"error": "choose a .csv file exported from the console or"
                                       " written in its columns"}, status=400)
    data = sheet.file.read(LONGEST_UPLOAD + 1)
    if len(data) > LONGEST_UPLOAD:
        return json_response({"error": "the file is over 4 MB: split it"}, status=400)
    checked = await asyncio.to_thread(
        upload.check_upload, bot.store.kb.all(include_disabled=True), data,
        sheet.filename or "upload.csv", replace=form.get("replace") == "on",
        min_score=bot.config.knowledge_base.answer_threshold,
    )
    answer: dict[str, Any] = {
        "file": checked.name, "faqs": len(checked.faqs), "summary": checked.summary(),
        "errors": checked.errors, "warnings": checked.warnings, "ok": checked.ok,
        "imported": None,
    }
    if form.get("mode") == "apply":
        if not checked.ok:
            return json_response({**answer, "error": "fix the errors first"}, status=400)
        now = bot.clock.now()
        with bot.store.transaction():
            count = upload.write_upload(bot.store.kb, checked, now, staff.id)
            bot.store.staff.audit(staff=staff.id, role=staff.role, action="kb.import",
                                  target=checked.name,
                                  after={"summary": checked.summary(), "revisions": count},
                                  now=now)
        answer["imported"] = count
    return json_response(answer)


async def kb_export(request: web.Request, staff: Staff) -> web.Response:
    """The whole knowledge base (disabled FAQs too) as a spreadsheet."""
    bot = request.app[BOT_KEY]
    text = dump_csv(bot.store.kb.all(include_disabled=True))
    stamp = bot.clock.now().strftime("%Y%m%d")
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="knowledge-base-{stamp}.csv"'},
    )

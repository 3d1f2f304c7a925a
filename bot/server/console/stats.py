"""Stats: the operators' numbers over a date range, as charts and as a CSV download."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from aiohttp import web

from bot.server.console import charts
from bot.server.console.i18n import translate
from bot.server.console.member import Staff
from bot.server.console.render import language_of, page
from bot.server.running import BOT_KEY
from bot.staff import report

DEFAULT_DAYS = 7


def _range(request: web.Request) -> tuple[date, date, list[str]]:
    """The chosen days (local), or the last week; bad dates are named, not fatal."""
    bot = request.app[BOT_KEY]
    today = bot.clock.now().astimezone(bot.config.bot.zone).date()
    problems = []
    chosen = []
    for key, default in (("from", today - timedelta(days=DEFAULT_DAYS - 1)), ("to", today)):
        raw = request.query.get(key, "").strip()
        try:
            chosen.append(date.fromisoformat(raw) if raw else default)
        except ValueError:
            problems.append(key)
            chosen.append(default)
    return chosen[0], chosen[1], problems


async def stats_page(request: web.Request, staff: Staff) -> web.Response:
    """Charts and tables for the range."""
    bot = request.app[BOT_KEY]
    first, last, problems = _range(request)
    numbers = report.build(bot.store, bot.pipeline.texts, bot.config.bot.zone, first, last)
    language = language_of(request)
    labels = [day.day.isoformat() for day in numbers.days]
    messages = charts.stacked_bars(
        "messages", labels,
        [(name, [day.messages[name] for day in numbers.days]) for name in numbers.platforms],
        translate(language, "chart_messages"),
    )
    outcome_names = [translate(language, f"outcome_{name}") for name in report.OUTCOMES]
    outcomes = charts.stacked_bars(
        "outcomes", labels,
        [(translate(language, f"outcome_{name}"), [day.outcomes[name] for day in numbers.days])
         for name in report.OUTCOMES],
        translate(language, "chart_outcomes"),
    )
    handoffs = charts.stacked_bars(
        "handoffs", labels,
        [(translate(language, "handoffs_taken"), [day.taken for day in numbers.days]),
         (translate(language, "handoffs_untaken"),
          [day.handoffs - day.taken for day in numbers.days])],
        translate(language, "chart_handoffs"),
    )
    ratings = charts.stacked_bars(
        "ratings", [f"{score}★" for score in range(1, 6)],
        [(translate(language, "ratings"), [numbers.ratings[score] for score in range(1, 6)])],
        translate(language, "chart_ratings"),
    )
    return page(request, "stats.html", {
        "report": numbers, "problems": problems, "outbox": bot.store.outbox.counts(),
        "charts": {"messages": messages, "outcomes": outcomes, "handoffs": handoffs,
                   "ratings": ratings},
        "legends": {"messages": charts.legend(numbers.platforms),
                    "outcomes": charts.legend(outcome_names),
                    "handoffs": charts.legend([translate(language, "handoffs_taken"),
                                               translate(language, "handoffs_untaken")])},
    })


async def stats_csv(request: web.Request, staff: Staff) -> web.Response:
    """The range's numbers, one row a day, for a spreadsheet."""
    bot = request.app[BOT_KEY]
    first, last, _ = _range(request)
    numbers = report.build(bot.store, bot.pipeline.texts, bot.config.bot.zone, first, last)
    out = io.StringIO()
    csv.writer(out).writerows(report.csv_rows(numbers))
    name = f"brandbot-stats-{numbers.first}-{numbers.last}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv",
        charset="utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

"""`brandbot kb …`: test, eval, import, export, the review queue, history and undo."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.app import Bot, build_bot
from bot.cli.common import config_of, with_config
from bot.cli.progress import Progress
from bot.core.clock import Clock
from bot.core.errors import KnowledgeBaseError, ReviewError
from bot.core.faq import Faq
from bot.core.language import detect_language, to_simplified
from bot.core.normalize import normalize
from bot.kb.check import check
from bot.kb.evaluation import evaluate, read_labelled
from bot.kb.files import read_faqs, write_faqs
from bot.kb.importer import apply_import, plan_import, resulting
from bot.kb.index import outcome_of

WARNINGS_SHOWN = 20  # a section of the validation report lists this many (--all: every one)


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Bot]:
    bot = build_bot(config_of(args))
    try:
        yield bot
    finally:
        bot.store.close()


def _who(args: argparse.Namespace) -> str:
    return str(args.who or os.environ.get("USER") or "staff")


def faq_ids_of(line: str) -> set[str]:
    """The FAQs a validation line is about (none: it is about the file as a whole)."""
    ids = set(re.findall(r"\bfaq ([^\s:]+):", line))
    for pattern in (r"in several FAQs: (.+)$", r"captured better by ([^\s(]+) \("):
        found = re.search(pattern, line)
        if found:
            ids |= {part.strip() for part in found.group(1).split(",")}
    return ids


def _print_lines(title: str, lines: Sequence[str], show_all: bool) -> None:
    """A section of the report: every error, warnings up to the cap unless --all."""
    if not lines:
        return
    print(title)
    errors = [line for line in lines if line.startswith("error:")]
    warnings = [line for line in lines if not line.startswith("error:")]
    shown = warnings if show_all else warnings[:WARNINGS_SHOWN]
    for line in [*errors, *shown]:
        print(f"  {line}")
    if len(shown) < len(warnings):
        print(f"  … and {len(warnings) - len(shown)} more warnings (--all lists every one)")


def _print_report(
    bot: Bot, faqs: Sequence[Faq], *, details: bool = True, file_errors: Sequence[str] = (),
    incoming: Sequence[Faq] = (), show_all: bool = False,
) -> bool:
    """The validation report: the file's errors and warnings first, then the rest of the
    store's warnings (which the import neither causes nor fixes); True if nothing blocks."""
    threshold = bot.config.knowledge_base.answer_threshold
    progress = Progress("checking every phrasing against the other FAQs") if details else None
    report = check(faqs, captured=details, min_score=threshold, progress=progress)
    errors = len(file_errors) + len(report.errors)
    warnings = len(report.warnings) + len(report.captured)
    print(f"validation: {errors} errors, {warnings} warnings"
          + ("" if details else " (`brandbot kb import FILE --dry-run` lists them)"))
    if not details:
        return not errors
    ids = {faq.id for faq in incoming}
    lines = [f"error: {problem}" for problem in file_errors] + report.lines()
    mine = [line for line in lines if not faq_ids_of(line) or faq_ids_of(line) & ids]
    rest = [line for line in lines if line not in mine]
    _print_lines("in the file:", mine, show_all)
    _print_lines("elsewhere in the store (not changed by this import):", rest, show_all)
    return not errors


def kb_test(args: argparse.Namespace) -> int:
    """Print what the matcher makes of a question."""
    with _opened(args) as bot:
        question = args.question
        print(f"question:   {question}")
        print(f"language:   {detect_language(question)}")
        print(f"normalised: {normalize(to_simplified(question))}")
        candidates = bot.faqs.search(question, limit=args.limit)
        settings = bot.config.knowledge_base
        outcome = outcome_of(candidates, settings)
        if outcome == "answer":
            outcome = f"answer {candidates[0].faq_id}"
        for rank, candidate in enumerate(candidates, 1):
            parts = " ".join(f"{k}={v:.3f}" for k, v in candidate.components.items())
            print(f"{rank}. {candidate.faq_id:<24} {candidate.score:.3f}  {parts}")
            print(f"   via: {candidate.phrasing}")
        print(
            f"outcome:    {outcome} (answer ≥ {settings.answer_threshold},"
            f" margin ≥ {settings.answer_margin}, suggest ≥ {settings.suggest_threshold})"
        )
    return 0


def kb_eval(args: argparse.Namespace) -> int:
    """Score a labelled CSV (text,faq_id; oos = should fall back) against the store's KB."""
    with _opened(args) as bot:
        bot.faqs.refresh()
        pairs, problems = read_labelled(Path(args.file), set(bot.faqs.faqs))
        for problem in problems:
            print(f"  {problem}" if pairs else f"error: {problem}")
        if not pairs:
            print("nothing to score")
            return 1
        result = evaluate(
            bot.faqs, pairs, bot.config.knowledge_base, progress=Progress("scoring")
        )
        outcomes = result.outcomes()
        print(f"questions:  {len(result.rows)}")
        print(f"top-1:      {result.top1():.3f}")
        print(f"top-3:      {result.top3():.3f}")
        print(f"answered:   {outcomes['answer']}  ({result.wrong_answers()} with the wrong FAQ)")
        print(f"suggested:  {outcomes['did you mean']}")
        print(f"fallback:   {outcomes['fallback']}")
        recall = result.oos_recall()
        if recall is not None:
            print(f"oos recall: {recall:.3f}")
        confusions = result.confusions(args.worst)
        if confusions:
            print("worst misses (expected → got, count, example):")
        for expected, got, count, example in confusions:
            print(f"  {expected} → {got or '(nothing)'}  ×{count}  {example.text!r}"
                  f" ({example.outcome}, {example.score:.2f})")
    return 0


def kb_import(args: argparse.Namespace) -> int:
    """Check a file or folder and write its FAQs to the store (each change a revision)."""
    path = Path(args.file)
    with _opened(args) as bot:
        incoming, problems = read_faqs(path)
        current = bot.store.kb.all(include_disabled=True)
        plan = plan_import(current, incoming)
        print(f"{path}: {len(incoming)} FAQs; {plan.summary(disable_missing=args.replace)}")
        after = resulting(current, incoming, disable_missing=args.replace)
        if not _print_report(
            bot, after, file_errors=problems, incoming=incoming, show_all=args.all
        ):
            print("nothing imported: fix the errors first")
            return 1
        if args.dry_run:
            print("dry run: nothing written")
            return 0
        try:
            count = apply_import(
                bot.store.kb, plan, Clock().now(), disable_missing=args.replace,
                progress=Progress("writing"),
            )
        except sqlite3.Error as error:
            # apply_import is one transaction: a failure part-way rolls all of it back.
            print(f"nothing imported: the store refused the change ({error})")
            return 1
        print(f"imported: {count} revisions written")
    return 0


def kb_export(args: argparse.Namespace) -> int:
    """Write the store's FAQs (disabled ones too) to a folder, .toml or .csv file."""
    path = Path(args.file)
    with _opened(args) as bot:
        faqs = bot.store.kb.all(include_disabled=True)
        _print_report(bot, faqs, details=False)
        written = write_faqs(path, faqs)
        print(f"exported {len(faqs)} FAQs to {', '.join(str(p) for p in written)}")
    return 0


def kb_unanswered(args: argparse.Namespace) -> int:
    """List the review queue: questions unanswered, only suggested, or given 👎."""
    with _opened(args) as bot:
        items = bot.store.kb_review.items(limit=args.limit)
        if not items:
            print("the review queue is empty")
        for item in items:
            last = item.last_asked_at.strftime("%Y-%m-%d %H:%M")
            print(f"#{item.id}  ×{item.count}  last asked {last} UTC  ({item.reason})")
            print("    asked: " + " · ".join(repr(text) for text in item.examples))
            if item.near:
                print(f"    near:  {', '.join(item.near)}")
    return 0


def kb_attach(args: argparse.Namespace) -> int:
    """Add a queued question as a phrasing of an FAQ."""
    with _opened(args) as bot:
        faq = bot.store.kb_review.attach(args.question_id, args.faq_id, _who(args), Clock().now())
        print(f"attached question #{args.question_id} to {faq.id}")
    return 0


def kb_create(args: argparse.Namespace) -> int:
    """Create a new FAQ from a queued question."""
    with _opened(args) as bot:
        faq = bot.store.kb_review.create(
            args.question_id, args.answer, _who(args), Clock().now(), faq_id=args.id
        )
        print(f"created FAQ {faq.id} from question #{args.question_id}")
    return 0


def kb_dismiss(args: argparse.Namespace) -> int:
    """Take a question out of the queue without changing the KB."""
    with _opened(args) as bot:
        bot.store.kb_review.dismiss(args.question_id, _who(args), Clock().now())
        print(f"dismissed question #{args.question_id}")
    return 0


def kb_history(args: argparse.Namespace) -> int:
    """List the revisions of one FAQ."""
    with _opened(args) as bot:
        revisions = bot.store.kb.revisions(args.faq_id)
        if not revisions:
            print(f"no FAQ {args.faq_id}")
            return 1
        for revision in revisions:
            note = " (undone)" if revision.undone else ""
            note += f" (reverts #{revision.reverts})" if revision.reverts else ""
            changed = sorted(
                key for key in {*(revision.before or {}), *revision.after}
                if (revision.before or {}).get(key) != revision.after.get(key)
            )
            what = "created" if revision.before is None else ", ".join(changed) or "nothing"
            print(f"#{revision.id}  {revision.created_at:%Y-%m-%d %H:%M}  {revision.who}"
                  f"  {what}{note}")
    return 0


def kb_undo(args: argparse.Namespace) -> int:
    """Revert your latest change."""
    with _opened(args) as bot:
        faq = bot.store.kb.undo(_who(args), Clock().now())
        print(f"restored {faq.id}" if faq else f"nothing of {_who(args)} left to undo")
    return 0


def kb_disable(args: argparse.Namespace) -> int:
    """Switch an FAQ off."""
    with _opened(args) as bot:
        faq = bot.store.kb.disable(args.faq_id, _who(args), Clock().now())
        print(f"disabled {faq.id}" if faq else f"no FAQ {args.faq_id}")
        return 0 if faq else 1


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ReviewError as error:
            print(f"error: {error}")
            return 1
        except KnowledgeBaseError as error:
            for problem in error.problems:
                print(f"error: {problem}")
            return 1
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            print(f"error: {error}")
            return 1

    return run


def register(commands: Any) -> None:
    """Add `kb` and its subcommands to the `brandbot` parser."""
    kb = commands.add_parser("kb", help="knowledge-base tools")
    sub = kb.add_subparsers(dest="kb_command", required=True)

    def add(name: str, command: Callable[[argparse.Namespace], int], text: str,
            who: bool = False) -> argparse.ArgumentParser:
        parser = with_config(sub.add_parser(name, help=text))
        parser.set_defaults(func=_guarded(command))
        if who:
            parser.add_argument("--as", dest="who", help="your name in the revisions ($USER)")
        return parser

    test = add("test", kb_test, "show how a question is matched")
    test.add_argument("question")
    test.add_argument("--limit", type=int, default=5)
    scored = add("eval", kb_eval, "score a labelled CSV (text,faq_id) against the KB")
    scored.add_argument("file")
    scored.add_argument("--worst", type=int, default=10, help="how many misses to list")
    load = add("import", kb_import, "check and import a folder, .toml or .csv")
    load.add_argument("file")
    load.add_argument("--dry-run", action="store_true", help="print the report only")
    load.add_argument("--replace", action="store_true",
                      help="disable FAQs that are in the store but not in the file")
    load.add_argument("--all", action="store_true",
                      help=f"list every warning (otherwise the first {WARNINGS_SHOWN} a section)")
    dump = add("export", kb_export, "export the KB to a folder, .toml or .csv")
    dump.add_argument("file")
    queue = add("unanswered", kb_unanswered, "list questions waiting for review")
    queue.add_argument("--limit", type=int, default=50)
    attach = add("attach", kb_attach, "add a queued question to an FAQ", who=True)
    attach.add_argument("question_id", type=int)
    attach.add_argument("faq_id")
    create = add("create", kb_create, "create an FAQ from a queued question", who=True)
    create.add_argument("question_id", type=int)
    create.add_argument("--answer", required=True)
    create.add_argument("--id", help="the new FAQ's id (default: from the question)")
    dismiss = add("dismiss", kb_dismiss, "drop a queued question", who=True)
    dismiss.add_argument("question_id", type=int)
    history = add("history", kb_history, "list an FAQ's revisions")
    history.add_argument("faq_id")
    add("undo", kb_undo, "revert your latest KB change", who=True)
    disable = add("disable", kb_disable, "switch an FAQ off", who=True)
    disable.add_argument("faq_id")

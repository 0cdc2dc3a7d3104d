"""The `dit-bot` command line: thin adapters over the engine, one function per command.

Every failure a user can cause (a missing config, a broken knowledge folder, an unreadable
case file) ends in one clear line on standard error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.adapters.terminal import chat
from bot.bootstrap import build_embeddings, build_engine, chat_conversation, run_telegram
from bot.config import Config, ConfigError, load_config
from bot.core.engine import Engine
from bot.core.replies import Kind, Reply, UserState, plain_text
from bot.core.requests import Message
from bot.editing.evaluation import CaseError, evaluate, load_cases, sweep
from bot.editing.knowledge_files import read_knowledge
from bot.editing.yaml_reading import KnowledgeError, Problem

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase
    from bot.editing.report_meaning import Reader

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem the user can fix, reported as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ConfigError, KnowledgeError, CaseError, CommandError) as exc:
        print(f"dit-bot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `dit-bot ask ... | head`); nothing more to say.
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dit-bot", description="Answers questions about Dynamic Interpersonal Therapy."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        sub.add_argument(
            "--config", type=Path, help="config file (default: $DIT_BOT_CONFIG, else none)"
        )
        return sub

    command("chat", run_chat, "talk to the bot in the terminal")
    ask = command("ask", run_ask, "answer questions given, or one per line of standard input")
    ask.add_argument("questions", nargs="*", metavar="QUESTION")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    check = command("check", run_check, "validate the knowledge files")
    check.add_argument("path", nargs="?", type=Path, help="knowledge folder (default: config's)")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    check.add_argument("--json", action="store_true", help="one JSON document for CI")
    check.add_argument("--seed", type=Path, help="the overview text sources must come from")
    check.add_argument(
        "--bank", action="store_true", help="list each risk example the bank misjudges"
    )
    evaluate_ = command("eval", run_eval, "score the bot on evaluation case files")
    evaluate_.add_argument("cases", nargs="+", type=Path, metavar="CASES.yaml")
    sweep_ = command("sweep", run_sweep, "choose matching thresholds by a sweep over cases")
    sweep_.add_argument("cases", nargs="+", type=Path, metavar="CASES.yaml")
    sweep_.add_argument("--top", type=int, default=10, help="how many settings to list")
    command("run", run_bot, "run the Telegram bot (long polling, or a webhook per the config)")
    report = command("report", run_report, "the questions the bot could not answer, and usage")
    report.add_argument(
        "--since", default="30d", help="how far back: 30d, 4w, 48h or a date (default: 30d)"
    )
    report.add_argument(
        "--format", choices=("table", "csv", "markdown"), default="table", help="output format"
    )
    return parser


def _engine(args: argparse.Namespace) -> tuple[Config, Engine]:
    config = load_config(args.config)
    return config, build_engine(config)


def run_chat(args: argparse.Namespace) -> int:
    """A conversation in the terminal with exactly the bot's replies."""
    config, engine = _engine(args)

    def write(text: str) -> None:
        print(text, flush=True)

    async def talk() -> None:
        async with chat_conversation(config, engine) as conversation:
            await chat(conversation, input, write)

    asyncio.run(talk())
    return 0


def run_ask(args: argparse.Namespace) -> int:
    """Answer each question (arguments, else standard input lines), independently, in order."""
    _, engine = _engine(args)
    if not args.questions and hasattr(sys.stdin, "reconfigure"):
        # Bytes that are not UTF-8 become U+FFFD rather than ending the run with a traceback.
        sys.stdin.reconfigure(errors="replace")
    # Lines are read one at a time, so each answer is printed as soon as its line arrives.
    questions: Iterable[str] = args.questions or (line.rstrip("\r\n") for line in sys.stdin)

    for question in questions:
        turn = engine.respond(Message(question), UserState())
        for reply in turn.replies:
            if args.json:
                print(json.dumps(_as_json(question, reply), ensure_ascii=False), flush=True)
            else:
                print(plain_text(reply) + "\n", flush=True)
    return 0


def _as_json(question: str, reply: Reply) -> dict[str, object]:
    offered = reply.kind is Kind.CLARIFY
    return {
        "question": question,
        "kind": reply.kind.value,
        "text": plain_text(reply),
        "id": reply.entry_id,
        "confidence": reply.confidence,
        "options": [
            {"id": o.entry_id, "question": o.label} for o in reply.options if offered and o.entry_id
        ],
        "related": [o.entry_id for o in reply.options if not offered and o.entry_id],
    }


def run_check(args: argparse.Namespace) -> int:
    """Report every problem in the knowledge files as `file:line: message`, errors first."""
    from bot.editing.checks import check_folder

    config = load_config(args.config)
    root = args.path if args.path is not None else config.knowledge_dir
    seed = args.seed if args.seed is not None else config.seed
    knowledge, problems = check_folder(
        root, config.matching, seed, build_embeddings(config), every_bank_example=args.bank
    )
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if args.json:
        document = {
            "path": str(root),
            "entries": len(knowledge.entries) if knowledge is not None else None,
            "errors": [_problem_json(p) for p in errors],
            "warnings": [_problem_json(p) for p in warnings],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for title, found in (("Errors", errors), ("Warnings", warnings)):
            if found:
                print(f"{title} ({len(found)}):")
                for problem in found:
                    print(problem)
                print()
        if knowledge is not None:
            entries = len(knowledge.entries)
            print(f"{root}: {entries} entries, {len(errors)} errors, {len(warnings)} warnings")
        else:
            print(
                f"{root}: {len(errors)} errors, {len(warnings)} warnings; the bot cannot load "
                "these files until the errors are fixed",
                file=sys.stderr,
            )
    return 1 if errors or (args.strict and warnings) else 0


def _problem_json(problem: Problem) -> dict[str, object]:
    return {"file": problem.file, "line": problem.line, "message": problem.message}


def run_eval(args: argparse.Namespace) -> int:
    """Per-group figures and the misses on the given case files."""
    _, engine = _engine(args)
    cases = load_cases(args.cases)
    report = evaluate(engine, cases)
    for miss in report.misses:
        print(f"MISS {miss.case.group} | {miss.case.q} | {miss.reply.kind.value} | {miss.why}")
    for category, (right, total) in sorted(report.categories.items()):
        print(f"CATEGORY {category} {right}/{total} = {right / total:.3f}")
    print(report.summary())
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """Try every threshold combination of the grid and list the best."""
    _, engine = _engine(args)
    cases = load_cases(args.cases)
    results = sweep(engine, cases)
    print("objective answer_threshold margin clarify_threshold | figures")
    for result in results[: args.top]:
        m = result.matching
        print(
            f"{result.report.objective():.4f} {m.answer_threshold:.2f} {m.margin:.2f} "
            f"{m.clarify_threshold:.2f} | {result.report.summary()}"
        )
    return 0


def run_bot(args: argparse.Namespace) -> int:
    """Serve Telegram until SIGINT or SIGTERM; the token comes from the environment or config."""
    run_telegram(load_config(args.config))
    return 0


def _reader(config: Config, knowledge: KnowledgeBase) -> Reader | None:
    """Meaning for the report, or None (said on standard error): grouped by words then."""
    from bot.core.meaning import MeaningIndex
    from bot.editing.report_meaning import Reader

    embeddings = build_embeddings(config)
    if embeddings is not None:
        try:
            return Reader(MeaningIndex.build(knowledge, embeddings), embeddings.encode)
        except Exception as exc:  # any failure means the same: group by words
            print(f"dit-bot: warning: the sentence encoder failed: {exc}", file=sys.stderr)
    print(
        "dit-bot: warning: without the sentence encoder, questions are grouped by their words",
        file=sys.stderr,
    )
    return None


def run_report(args: argparse.Namespace) -> int:
    """Print the unanswered-questions report from the bot's database, read-only."""
    from bot.adapters.sqlite.unanswered import SqliteUnansweredLog, open_read_only
    from bot.core.matcher import Matcher
    from bot.editing.report import gather_report, parse_since
    from bot.editing.report_rendering import render

    config = load_config(args.config)
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not config.database.is_file():
        raise CommandError(
            f"no database at {config.database}: the bot has not run with this config yet"
        )
    knowledge, _ = read_knowledge(config.knowledge_dir)
    if knowledge is None:
        print(
            f"dit-bot: warning: the knowledge in {config.knowledge_dir} does not load "
            "(run dit-bot check); closest entries are left out",
            file=sys.stderr,
        )
    matcher = Matcher(knowledge, config.matching) if knowledge is not None else None
    questions_of = {k: e.question for k, e in knowledge.entries.items()} if knowledge else {}
    meaning = _reader(config, knowledge) if knowledge is not None else None

    async def build() -> str:
        async with open_read_only(config.database) as connection:
            log = SqliteUnansweredLog(connection)
            report = await gather_report(
                log, matcher, since, questions_of=questions_of, meaning=meaning
            )
        return render(report, args.format)

    try:
        text = asyncio.run(build())
    except (sqlite3.DatabaseError, FileNotFoundError) as exc:
        raise CommandError(f"cannot read the database {config.database}: {exc}") from None
    sys.stdout.write(text)
    return 0

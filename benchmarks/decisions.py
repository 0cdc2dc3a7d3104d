"""Every decision the bot makes on the case files, as lines of JSON, to diff before and after a
change that must not change any (a faster encoder call, a cheaper vote).

    .venv/bin/python -m benchmarks.decisions [CASES.yaml ...] > decisions.jsonl

One line per message of the case files (by default the project's, tests/cases/), in order: what
`dit-bot ask --json` prints for it (kind, entry, confidence, options, text), the crisis check's
level, category and reason, and the bank's crisis and support votes for the whole and each
sentence, exactly (repr of the float), so that a change in the last bit shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from bot.bootstrap import build_engine
from bot.cli import _as_json
from bot.config import Config
from bot.core.replies import UserState
from bot.core.requests import Message

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    engine = build_engine(Config(knowledge_dir=REPO_ROOT / "knowledge"))
    paths = [Path(a) for a in sys.argv[1:]] or sorted((REPO_ROOT / "tests/cases").glob("*.yaml"))
    questions = [
        str(case["q"]) for path in paths for case in yaml.safe_load(path.read_text("utf-8"))
    ]

    for question in questions:
        turn = engine.respond(Message(question), UserState())
        detector = engine.library.detector
        risk = detector.assess(question)
        votes = []
        if detector.meaning is not None and risk.vectors is not None:
            votes = [
                [repr(j.crisis), repr(j.support), j.category, j.nearest]
                for j in detector.meaning.classifier.judge(risk.vectors)
            ]
        line = {
            "replies": [_as_json(question, reply) for reply in turn.replies],
            "level": risk.level.value,
            "category": risk.category,
            "why": risk.why,
            "votes": votes,
        }
        print(json.dumps(line, ensure_ascii=False))

    return 0


if __name__ == "__main__":
    raise SystemExit(main())

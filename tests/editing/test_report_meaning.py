"""The report by meaning, with the real encoder: rewordings of one question in one group,
different questions apart, and an `alternates` line suggested only where meaning is sure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.embeddings import Embeddings
from bot.core.engine import Engine
from bot.editing.report import build_report
from bot.editing.report_meaning import Reader, group_by_meaning
from bot.editing.report_rendering import render_table
from bot.service.records import Unanswered

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _reader(shipped_engine: Engine, embeddings: Embeddings) -> Reader:
    index = shipped_engine.library.meaning
    assert index is not None
    return Reader(index, embeddings.encode)


def test_rewordings_of_one_question_are_one_group_and_others_stay_apart(
    embeddings: Embeddings,
) -> None:
    texts = [
        "how much does DIT cost",
        "what is the price of DIT",
        "can I bring my dog to sessions",
        "how much does DIT cost",
    ]
    groups = group_by_meaning(texts, embeddings.encode(texts))
    assert groups == [[0, 3, 1], [2]]


def test_nothing_to_group_gives_no_groups(embeddings: Embeddings) -> None:
    assert group_by_meaning([], embeddings.encode([])) == []


def test_a_group_meaning_is_sure_about_gets_a_suggested_alternate_and_others_do_not(
    shipped_engine: Engine, embeddings: Embeddings
) -> None:
    asked = ["what are the upsides of doing DIT", "how do I fix a flat tyre"]
    questions = [Unanswered(t, "fallback", None, 0.0, NOW - timedelta(days=1)) for t in asked]
    report = build_report(
        questions,
        [],
        None,
        NOW - timedelta(days=7),
        NOW,
        meaning=_reader(shipped_engine, embeddings),
    )
    by_text = {g.text: g for g in report.groups}
    sure = by_text["what are the upsides of doing DIT"]
    assert (sure.entry_id, sure.suggested) == ("benefits", True)
    assert not by_text["how do I fix a flat tyre"].suggested
    table = render_table(report)
    assert 'entry benefits:  - "what are the upsides of doing DIT"' in table
    assert "tyre" not in table.split("Suggested alternates")[1].split("Entries given most")[0]

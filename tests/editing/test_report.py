"""The report for staff: grouping, figures, the renderings, --since."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters.sqlite.store import SqliteStore
from bot.config import Matching
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.settings import Clinic
from bot.editing.report import build_report, gather_report, group_similar, parse_since
from bot.editing.report_rendering import (
    render,
    render_csv,
    render_markdown,
    render_short,
    render_table,
)
from bot.service.records import Count, Unanswered

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


# Grouping


def test_similar_questions_are_grouped_biggest_first() -> None:
    texts = [
        "is dit available online",
        "how much does parking cost",
        "Is DIT available online?",
        "can i do dit online",
        "what about my dog",
        "online?",
        "is there any parking",
        "can dit help with OCD",
        "does dit work for ocd",
    ]
    groups = [sorted(texts[i] for i in group) for group in group_similar(texts)]
    assert groups == [
        sorted(
            [
                "is dit available online",
                "Is DIT available online?",
                "can i do dit online",
                "online?",
            ]
        ),
        sorted(["how much does parking cost", "is there any parking"]),
        sorted(["can dit help with OCD", "does dit work for ocd"]),
        ["what about my dog"],
    ]


def test_nothing_to_group() -> None:
    assert group_similar([]) == []


# The report


def stored(text: str, days_ago: float = 1, kind: str = "fallback") -> Unanswered:
    return Unanswered(text, kind, None, 0.2, NOW - timedelta(days=days_ago))


COUNTS = [
    Count(date(2024, 6, 29), "answer", None, 8),
    Count(date(2024, 6, 29), "answer", "sessions-count", 5),
    Count(date(2024, 6, 29), "answer", "help-depression", 3),
    Count(date(2024, 6, 29), "fallback", None, 2),
    Count(date(2024, 6, 30), "answer", None, 1),
    Count(date(2024, 6, 30), "answer", "help-depression", 1),
    Count(date(2024, 6, 30), "clarify", None, 1),
    Count(date(2024, 6, 30), "crisis", None, 1),
]


def a_report(small_knowledge: KnowledgeBase, days: int = 7):  # type: ignore[no-untyped-def]
    questions = [
        stored("how many sessions will i have in total"),
        stored("how many sessions in total?"),
        stored("is there parking at the clinic"),
    ]
    matcher = Matcher(small_knowledge, Matching())
    questions_of = {k: e.question for k, e in small_knowledge.entries.items()}
    return build_report(questions, COUNTS, matcher, NOW - timedelta(days=days), NOW, questions_of)


def test_each_group_has_its_count_and_closest_entry(small_knowledge: KnowledgeBase) -> None:
    report = a_report(small_knowledge)
    assert report.unanswered == 3
    first, second = report.groups
    assert first.count == 2
    assert first.entry_id == "sessions-count"
    assert 0 < first.confidence <= 1
    assert first.entry_question == "How many sessions does DIT take?"
    assert first.examples == ("how many sessions in total?",)
    assert (second.text, second.count) == ("is there parking at the clinic", 1)


def test_entries_asked_most_and_the_fallback_rate(small_knowledge: KnowledgeBase) -> None:
    report = a_report(small_knowledge)
    assert [(e.entry_id, e.count) for e in report.entries] == [
        ("sessions-count", 5),
        ("help-depression", 4),
    ]
    assert report.entries[0].question == "How many sessions does DIT take?"
    # Per day for a week: answers, clarifies and fallbacks are questions; crisis is not.
    assert len(report.periods) == 8
    by_day = {p.start: p for p in report.periods}
    assert by_day[date(2024, 6, 29)].questions == 10
    assert by_day[date(2024, 6, 29)].fallback_rate == pytest.approx(0.2)
    assert by_day[date(2024, 6, 28)].fallback_rate is None
    assert report.totals.questions == 12
    assert report.totals.kinds["crisis"] == 1


def test_a_long_range_is_shown_by_week(small_knowledge: KnowledgeBase) -> None:
    report = a_report(small_knowledge, days=30)
    starts = [p.start for p in report.periods]
    assert starts[0] == date(2024, 5, 31)
    assert all(later.weekday() == 0 for later in starts[1:])
    assert report.periods[-1].end == date(2024, 6, 30)
    assert sum(p.questions for p in report.periods) == 12


def test_an_entry_no_longer_in_the_knowledge_is_named_so() -> None:
    counts = [Count(date(2024, 6, 30), "answer", "gone-entry", 2)]
    report = build_report([], counts, None, NOW - timedelta(days=1), NOW)
    assert report.entries[0].question == "(no longer in the knowledge)"
    assert report.groups == ()


def test_the_table_lists_groups_entries_and_periods(small_knowledge: KnowledgeBase) -> None:
    text = render_table(a_report(small_knowledge))
    assert text.startswith("Unanswered questions, 2024-06-23 to 2024-06-30: 3 unanswered")
    assert "17% not answered" in text
    lines = text.splitlines()
    assert any(line.split()[:2] == ["2", "how"] and "sessions-count (" in line for line in lines)
    assert "also: 'how many sessions in total?'" in text
    assert any(line.split()[:2] == ["5", "sessions-count"] for line in lines)
    assert any(line.startswith("2024-06-29") and line.split()[-3] == "20%" for line in lines)
    assert render(a_report(small_knowledge)) == text


def test_the_csv_is_one_table_with_a_section_column(small_knowledge: KnowledgeBase) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(a_report(small_knowledge)))))
    sections = [row["section"] for row in rows]
    assert sections == ["group", "group", "entry", "entry"] + ["period"] * 8
    assert rows[0]["count"] == "2"
    assert rows[0]["entry_id"] == "sessions-count"
    assert rows[0]["examples"] == "how many sessions in total?"
    day = next(row for row in rows if row["period_start"] == "2024-06-29")
    assert (day["answer"], day["fallback"], day["fallback_rate"]) == ("8", "2", "0.2000")


def test_markdown_has_a_table_per_section(small_knowledge: KnowledgeBase) -> None:
    text = render_markdown(a_report(small_knowledge))
    assert text.startswith("# Unanswered questions\n")
    assert "| Count | Question | Also asked as | Closest entry | Confidence |" in text
    assert "## Entries given most" in text
    assert "| 5 | sessions-count | How many sessions does DIT take? |" in text
    assert "| 2024-06-29 | 10 | 8 | 0 | 2 | 20% | 0 | 0 |" in text


def test_markdown_escapes_pipes() -> None:
    report = build_report([stored("a | b question")], [], None, NOW - timedelta(days=1), NOW)
    assert "| a \\| b question |" in render_markdown(report)


WORDS = "apple brick cloud dance eagle flame grape house igloo jelly kite lemon".split()


def say_in(knowledge: KnowledgeBase) -> Callable[..., str]:
    """The admins' texts as the knowledge words them."""
    return lambda key, **values: knowledge.message(key, Clinic(), **values)


def test_the_short_report_fits_a_telegram_message(small_knowledge: KnowledgeBase) -> None:
    say = say_in(small_knowledge)
    text = render_short(a_report(small_knowledge), say)
    assert text.splitlines()[0] == (
        "Last 7 days: 12 questions, 2 not answered (17%), 1 asked back; crisis replies: 1."
    )
    assert (
        "1. \u201chow many sessions will i have in total\u201d \u00d72 \u2192 sessions-count"
        in text
    )
    assert "Given most: sessions-count 5, help-depression 4" in text
    many = build_report(
        [stored(f"{word} " * 40) for word in WORDS],
        [],
        None,
        NOW - timedelta(days=30),
        NOW,
    )
    short = render_short(many, say)
    assert len(short) < 1500
    assert "more groups" in short


def test_an_empty_report_says_so(small_knowledge: KnowledgeBase) -> None:
    report = build_report([], [], None, NOW - timedelta(days=30), NOW)
    assert "No unanswered questions." in render_table(report)
    assert "No unanswered questions." in render_short(report, say_in(small_knowledge))
    assert report.totals.fallback_rate is None


async def test_the_report_from_the_database(
    store: SqliteStore, small_knowledge: KnowledgeBase
) -> None:
    log = store.usage
    await log.record("is there parking", "fallback", None, 0.1, NOW - timedelta(days=40))
    await log.record("is there parking nearby", "fallback", None, 0.1, NOW - timedelta(days=2))
    await log.record("parking nearby?", "clarify", None, 0.5, NOW - timedelta(days=1))
    await log.count("fallback", day=date(2024, 6, 28))
    await log.count("answer", "sessions-count", date(2024, 6, 28))
    matcher = Matcher(small_knowledge, Matching())
    report = await gather_report(log, matcher, NOW - timedelta(days=30), NOW)
    assert report.unanswered == 2
    assert [g.count for g in report.groups] == [2]
    assert report.totals.questions == 2


# --since


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("4w", NOW - timedelta(weeks=4)),
        ("48h", NOW - timedelta(hours=48)),
        ("2024-06-01", datetime(2024, 6, 1, tzinfo=UTC)),
    ],
)
def test_since_is_a_span_or_a_date(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_a_bad_since_explains_itself() -> None:
    with pytest.raises(ValueError, match="30d"):
        parse_since("last month", NOW)


def test_a_question_that_looks_like_a_formula_is_text_in_the_csv(
    small_knowledge: KnowledgeBase,
) -> None:
    matcher = Matcher(small_knowledge, Matching())
    questions = [stored('=HYPERLINK("http://evil.example","click")')]
    report = build_report(questions, COUNTS, matcher, NOW - timedelta(days=7), NOW, {})
    (group,) = [
        r for r in csv.DictReader(io.StringIO(render_csv(report))) if r["section"] == "group"
    ]
    assert group["text"].startswith("'=HYPERLINK")


def test_escape_sequences_in_a_question_are_not_printed_raw(
    small_knowledge: KnowledgeBase,
) -> None:
    matcher = Matcher(small_knowledge, Matching())
    questions = [stored("\x1b[2J\x1b[31mhow much does it cost")]
    report = build_report(questions, COUNTS, matcher, NOW - timedelta(days=7), NOW, {})
    for text in (render_table(report), render_markdown(report)):
        assert "\x1b" not in text
        assert "?[31mhow much does it cost" in text


async def test_the_report_is_built_off_the_event_loops_thread(
    small_knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, store: SqliteStore
) -> None:
    import threading

    import bot.editing.report as report_module

    threads: list[threading.Thread] = []
    build = report_module.build_report

    def recording(*args: object, **kwargs: object) -> report_module.Report:
        threads.append(threading.current_thread())
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(report_module, "build_report", recording)
    await store.usage.record("is there parking", "fallback", None, 0.2, NOW)
    report = await report_module.gather_report(store.usage, None, NOW - timedelta(days=1), NOW)
    assert report.unanswered == 1
    assert threads and threads[0] is not threading.main_thread()

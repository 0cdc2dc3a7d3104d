"""Unanswered questions and usage counts: masking, storage, retention, grouping, the report."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.adapters.sqlite.unanswered import (
    Count,
    SqliteUnansweredLog,
    Unanswered,
    build_report,
    day_of,
    gather_report,
    group_similar,
    mask,
    open_read_only,
    parse_since,
    purge_expired,
    render,
    render_csv,
    render_markdown,
    render_short,
    render_table,
)
from bot.config import Matching
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    # Autocommit, as the bot's store opens its one connection.
    async with aiosqlite.connect(tmp_path / "bot.sqlite3", isolation_level=None) as conn:
        yield conn


@pytest.fixture
async def log(connection: aiosqlite.Connection) -> SqliteUnansweredLog:
    log = SqliteUnansweredLog(connection)
    await log.setup()
    return log


# Masking


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to jo.bloggs+dit@nhs.net please", "write to [email] please"),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("or +44 (0)20 7946 0958", "or [phone]"),
        ("(020) 7946 0958 is the office", "[phone] is the office"),
        ("ring 0161-496-0000", "ring [phone]"),
        ("07700900123", "[phone]"),
        ("my nhs number is 943 476 5919", "my nhs number is [number]"),
        ("reference 1234567", "reference [number]"),
        ("postcode digits 12345", "postcode digits [number]"),
    ],
)
def test_mask_replaces_contact_details_and_long_numbers(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text", ["is it 16 sessions?", "I started in 2024", "call 999", "what about 1 or 2 a week"]
)
def test_mask_keeps_short_numbers(text: str) -> None:
    assert mask(text) == text


# Storing


async def test_recorded_questions_are_masked_and_come_back(log: SqliteUnansweredLog) -> None:
    await log.record("mail me at a@b.com about DIT online", "fallback", "nc-online", 0.41, NOW)
    await log.record("is it weekly or what", "clarify", None, 0.5, NOW + timedelta(seconds=1))
    found = await log.fetch(NOW - timedelta(days=1))
    day = day_of(NOW)  # only the day is kept (see the next test)
    assert found == [
        Unanswered("mail me at [email] about DIT online", "fallback", "nc-online", 0.41, day),
        Unanswered("is it weekly or what", "clarify", None, 0.5, day),
    ]


async def test_a_question_keeps_only_its_day_so_it_cannot_be_joined_to_a_user_by_time(
    log: SqliteUnansweredLog,
) -> None:
    await log.record("is there parking", "fallback", None, 0.2, NOW.replace(hour=17, minute=3))
    (found,) = await log.fetch(NOW - timedelta(days=1))
    assert (found.at.hour, found.at.minute, found.at.second, found.at.microsecond) == (0, 0, 0, 0)
    assert found.at.date() == NOW.date()


async def test_no_user_id_or_unmasked_text_is_kept(
    log: SqliteUnansweredLog, connection: aiosqlite.Connection
) -> None:
    await log.record("I'm on 07700 900123", "fallback", None, 0.1, NOW)
    async with connection.execute("PRAGMA table_info(unanswered)") as cursor:
        columns = {row[1] for row in await cursor.fetchall()}
    assert columns == {"id", "at", "kind", "text", "best_entry_id", "confidence"}
    async with connection.execute("SELECT text FROM unanswered") as cursor:
        assert await cursor.fetchall() == [("I'm on [phone]",)]


async def test_only_fallbacks_and_clarifies_are_recorded(log: SqliteUnansweredLog) -> None:
    with pytest.raises(ValueError, match="only"):
        await log.record("i want to die", "crisis", None, 1.0, NOW)  # type: ignore[arg-type]
    assert await log.fetch(NOW - timedelta(days=1)) == []


async def test_setup_is_idempotent_and_shares_the_connection(
    connection: aiosqlite.Connection,
) -> None:
    await connection.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY)")
    first = SqliteUnansweredLog(connection)
    await first.setup()
    await first.record("x", "fallback", None, 0.0, NOW)
    await SqliteUnansweredLog(connection).setup()
    assert len(await first.fetch(NOW - timedelta(days=1))) == 1


async def test_writes_are_committed_on_a_connection_in_default_mode(tmp_path: Path) -> None:
    path = tmp_path / "default.sqlite3"
    async with aiosqlite.connect(path) as conn:
        log = SqliteUnansweredLog(conn)
        await log.setup()
        await log.record("is there parking", "fallback", None, 0.2, NOW)
        await log.count("fallback", day=NOW.date())
    # Another connection sees both writes.
    async with open_read_only(path) as reader:
        other = SqliteUnansweredLog(reader)
        assert len(await other.fetch(NOW - timedelta(days=1))) == 1
        assert await other.counts(NOW.date()) == [Count(NOW.date(), "fallback", None, 1)]


# Retention


async def test_purge_deletes_only_what_is_older_than_the_retention(
    log: SqliteUnansweredLog,
) -> None:
    await log.record("old question", "fallback", None, 0.1, NOW - timedelta(days=91))
    await log.record("just in time", "fallback", None, 0.1, NOW - timedelta(days=89))
    await log.record("new question", "clarify", None, 0.5, NOW - timedelta(days=1))
    assert await purge_expired(log, 90, now=NOW) == 1
    texts = [q.text for q in await log.fetch(NOW - timedelta(days=365))]
    assert texts == ["just in time", "new question"]
    assert await purge_expired(log, 90, now=NOW) == 0


async def test_fetch_since_leaves_out_older_questions(log: SqliteUnansweredLog) -> None:
    await log.record("before", "fallback", None, 0.1, NOW - timedelta(days=31))
    await log.record("after", "fallback", None, 0.1, NOW - timedelta(days=29))
    assert [q.text for q in await log.fetch(NOW - timedelta(days=30))] == ["after"]


async def test_naive_times_are_taken_as_utc(log: SqliteUnansweredLog) -> None:
    await log.record("naive", "fallback", None, 0.1, NOW.replace(tzinfo=None))
    (found,) = await log.fetch(day_of(NOW))
    assert found.at == day_of(NOW)


# Counters


async def test_counts_by_day_kind_and_entry(log: SqliteUnansweredLog) -> None:
    day = date(2024, 6, 30)
    for _ in range(3):
        await log.count("answer", "sessions-count", day)
    await log.count("answer", "what-is-dit", day)
    await log.count("fallback", day=day)
    await log.count("crisis", day=day)
    await log.count("answer", "sessions-count", day - timedelta(days=1))
    assert await log.counts(day) == [
        Count(day, "answer", None, 4),
        Count(day, "answer", "sessions-count", 3),
        Count(day, "answer", "what-is-dit", 1),
        Count(day, "crisis", None, 1),
        Count(day, "fallback", None, 1),
    ]
    assert len(await log.counts(day - timedelta(days=1))) == 7


async def test_an_unknown_kind_is_not_counted(log: SqliteUnansweredLog) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        await log.count("notice")  # type: ignore[arg-type]


async def test_count_defaults_to_today(log: SqliteUnansweredLog) -> None:
    await log.count("smalltalk", "greeting")
    today = datetime.now(UTC).date()
    assert {c.day for c in await log.counts(today - timedelta(days=1))} == {today}


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


def test_the_short_report_fits_a_telegram_message(small_knowledge: KnowledgeBase) -> None:
    text = render_short(a_report(small_knowledge))
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
    short = render_short(many)
    assert len(short) < 1500
    assert "more groups" in short


def test_an_empty_report_says_so() -> None:
    report = build_report([], [], None, NOW - timedelta(days=30), NOW)
    assert "No unanswered questions." in render_table(report)
    assert "No unanswered questions." in render_short(report)
    assert report.totals.fallback_rate is None


async def test_the_report_from_the_database(
    log: SqliteUnansweredLog, small_knowledge: KnowledgeBase
) -> None:
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


# Reading the database for the report


async def test_read_only_access_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await SqliteUnansweredLog(conn).setup()
    async with open_read_only(path) as reader:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await SqliteUnansweredLog(reader).record("x", "fallback", None, 0.0, NOW)


async def test_a_database_without_the_tables_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await conn.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY)")
        await conn.commit()
    async with open_read_only(path) as reader:
        report = await gather_report(SqliteUnansweredLog(reader), None, NOW - timedelta(days=3))
    assert report.unanswered == 0


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_read_only(tmp_path / "nothing.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()


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
    small_knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, log: SqliteUnansweredLog
) -> None:
    import threading

    import bot.adapters.sqlite.unanswered as unanswered

    threads: list[threading.Thread] = []
    build = unanswered.build_report

    def recording(*args: object, **kwargs: object) -> unanswered.Report:
        threads.append(threading.current_thread())
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(unanswered, "build_report", recording)
    await log.record("is there parking", "fallback", None, 0.2, NOW)
    report = await unanswered.gather_report(log, None, NOW - timedelta(days=1), NOW)
    assert report.unanswered == 1
    assert threads and threads[0] is not threading.main_thread()

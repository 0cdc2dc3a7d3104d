"""The staff's commands: `dit-bot check --strict/--json/--seed` and `dit-bot report`."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.adapters.sqlite.unanswered import SqliteUnansweredLog
from bot.cli import main
from bot.config import CONFIG_ENV
from tests.conftest import SHIPPED_KNOWLEDGE, write_knowledge

# An entry whose alternate is the question of another: two warnings, no error.
DUPLICATE = (
    "entries:\n"
    "  - id: extra-count\n"
    "    topic: sessions\n"
    "    question: How many appointments will there be?\n"
    "    alternates:\n"
    "      - How many sessions does DIT take?\n"
    "    answer: Usually 16 sessions.\n"
    '    source: "16 sessions"\n'
)
BROKEN = "entries:\n  - id: broken-one\n    question: Broken?\n    answer: Yes.\n    colour: red\n"


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# check


def test_check_lists_warnings_apart_and_passes_without_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": DUPLICATE})
    code, out, _ = run(["check", str(root)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Warnings (")
    assert "Errors" not in out
    assert (
        "knowledge/entries/extra.yaml:6: warning: alternate 'How many sessions does DIT take?'"
        in (out)
    )
    assert lines[-1].endswith(" warnings") and ", 0 errors, " in lines[-1]


def test_check_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": DUPLICATE})
    code, _, _ = run(["check", str(root), "--strict"], capsys)
    assert code == 1


def test_check_fails_on_errors_and_lists_them_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": BROKEN})
    code, out, err = run(["check", str(root)], capsys)
    assert code == 1
    assert out.splitlines()[:2] == [
        "Errors (1):",
        "knowledge/entries/extra.yaml:5: unknown field 'colour'",
    ]
    assert "1 errors" in err
    assert "Traceback" not in out + err


def test_check_json_is_one_document_with_errors_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": BROKEN})
    code, out, _ = run(["check", str(root), "--json"], capsys)
    assert code == 1
    document = json.loads(out)
    assert document["errors"] == [
        {"file": "knowledge/entries/extra.yaml", "line": 5, "message": "unknown field 'colour'"}
    ]
    assert document["warnings"] == []
    assert document["entries"] is None


def test_check_json_on_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": DUPLICATE})
    code, out, _ = run(["check", str(root), "--json", "--strict"], capsys)
    assert code == 1
    document = json.loads(out)
    assert document["errors"] == []
    warning = next(w for w in document["warnings"] if w["line"] == 6)
    assert warning["file"] == "knowledge/entries/extra.yaml"
    assert "extra-count" in warning["message"]
    assert set(warning) == {"file", "line", "message"}


def test_check_json_on_the_shipped_knowledge_has_no_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["check", str(SHIPPED_KNOWLEDGE), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["errors"] == []


def test_check_with_a_seed_reports_sources_not_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/extra.yaml": DUPLICATE})
    seed = tmp_path / "overview.txt"
    seed.write_text("It is usually offered in a set of 16 sessions.", encoding="utf-8")
    code, out, _ = run(["check", str(root), "--json", "--seed", str(seed)], capsys)
    assert code == 1
    messages = [e["message"] for e in json.loads(out)["errors"]]
    assert any(m.startswith("the source of entry help-depression is not in") for m in messages)
    assert not any("extra-count" in m for m in messages)


def test_check_takes_the_seed_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_knowledge(tmp_path / "kb")
    (tmp_path / "overview.txt").write_text("Nothing relevant.", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("knowledge_dir: kb\nseed: overview.txt\n", encoding="utf-8")
    code, out, _ = run(["check", "--config", str(config), "--json"], capsys)
    assert code == 1
    assert any("seed" in e["message"] for e in json.loads(out)["errors"])


# report

NOW = datetime.now(UTC)


def make_database(path: Path) -> None:
    async def fill() -> None:
        async with aiosqlite.connect(path, isolation_level=None) as conn:
            log = SqliteUnansweredLog(conn)
            await log.setup()
            await log.record("is dit on zoom", "fallback", None, 0.2, NOW - timedelta(days=2))
            await log.record("is DIT on Zoom?", "fallback", None, 0.2, NOW - timedelta(days=1))
            await log.record("email me at x@y.org", "clarify", None, 0.5, NOW - timedelta(days=1))
            await log.record("long ago", "fallback", None, 0.2, NOW - timedelta(days=60))
            today = NOW.date()
            for _ in range(3):
                await log.count("answer", "sessions-count", today)
            await log.count("fallback", None, today)
            await log.count("crisis", None, today)

    asyncio.run(fill())


@pytest.fixture
def report_config(tmp_path: Path) -> Path:
    write_knowledge(tmp_path / "kb")
    make_database(tmp_path / "data.sqlite3")
    config = tmp_path / "config.yaml"
    config.write_text("knowledge_dir: kb\ndatabase: data.sqlite3\n", encoding="utf-8")
    return config


def test_report_prints_a_table_by_default(
    report_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["report", "--config", str(report_config)], capsys)
    assert (code, err) == (0, "")
    assert "3 unanswered questions in 2 groups" in out
    assert "is dit on zoom" in out
    assert "[email]" in out
    assert "x@y.org" not in out
    assert "long ago" not in out
    assert "sessions-count" in out


def test_report_since_reaches_further_back(
    report_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["report", "--config", str(report_config), "--since", "90d"], capsys)
    assert code == 0
    assert "long ago" in out


def test_report_as_csv(report_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["report", "--config", str(report_config), "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    groups = [r for r in rows if r["section"] == "group"]
    assert [g["count"] for g in groups] == ["2", "1"]
    assert [r["entry_id"] for r in rows if r["section"] == "entry"] == ["sessions-count"]
    today = next(
        r for r in rows if r["section"] == "period" and r["period_end"] >= NOW.date().isoformat()
    )
    assert (today["answer"], today["fallback"], today["crisis"]) == ("3", "1", "1")


def test_report_as_markdown(report_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["report", "--config", str(report_config), "--format", "markdown"], capsys)
    assert code == 0
    assert out.startswith("# Unanswered questions")
    assert "| 3 | sessions-count |" in out


def test_report_does_not_change_the_database(
    report_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = report_config.parent / "data.sqlite3"
    before = database.read_bytes()
    run(["report", "--config", str(report_config)], capsys)
    assert database.read_bytes() == before


def test_report_without_a_database_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("database: missing.sqlite3\n", encoding="utf-8")
    code, out, err = run(["report", "--config", str(config)], capsys)
    assert code == 1
    assert out == ""
    assert err.startswith("dit-bot: error: no database at ")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "missing.sqlite3").exists()


def test_report_with_a_bad_since_is_one_clear_line(
    report_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["report", "--config", str(report_config), "--since", "soon"], capsys)
    assert code == 1
    assert err.startswith("dit-bot: error: --since 'soon'")


def test_report_on_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data.sqlite3").write_text("not a database", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("knowledge_dir: kb\ndatabase: data.sqlite3\n", encoding="utf-8")
    write_knowledge(tmp_path / "kb")
    code, _, err = run(["report", "--config", str(config)], capsys)
    assert code == 1
    assert err.startswith("dit-bot: error: cannot read the database")


def test_report_without_the_encoder_groups_by_words_and_says_so(
    report_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_config.write_text(report_config.read_text() + "meaning: false\n", encoding="utf-8")
    code, out, err = run(["report", "--config", str(report_config)], capsys)
    assert code == 0
    assert "grouped by their words" in err
    assert "3 unanswered questions in 2 groups" in out
    assert "Suggested alternates" not in out

"""The report as text: a table for the terminal, Markdown, CSV, and a few lines for Telegram."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from typing import Literal

from bot.editing.report import Group, Period, Report

Format = Literal["table", "csv", "markdown"]
FORMATS: tuple[str, ...] = ("table", "csv", "markdown")


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _closest(group: Group) -> str:
    return f"{group.entry_id} ({group.confidence:.2f})" if group.entry_id else "-"


def _period_label(report: Report, period: Period) -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def _heading(report: Report) -> str:
    return (
        f"{report.since.date().isoformat()} to {report.until.date().isoformat()}: "
        f"{report.unanswered} unanswered question{'s' if report.unanswered != 1 else ''} "
        f"in {len(report.groups)} group{'s' if len(report.groups) != 1 else ''}; "
        f"{report.totals.questions} questions in all, "
        f"{_percent(report.totals.fallback_rate)} not answered"
    )


# Control characters (escape sequences among them) that a message may carry: shown as "?", so
# that a stored question cannot recolour or rewrite the terminal showing the report.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _printable(text: str) -> str:
    return _CONTROLS.sub("?", text)


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (OWASP's advice)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _clip(text: str, width: int) -> str:
    text = _printable(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _rows(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


_KIND_COLUMNS = ("answer", "clarify", "fallback", "crisis", "smalltalk")
_PERIOD_HEADER = ("Period", "Questions", "Answered", "Clarify", "Fallback", "Rate")
_PERIOD_EXTRA = ("Crisis", "Small talk")


def _period_cells(report: Report, period: Period) -> list[str]:
    k = period.kinds
    return [
        _period_label(report, period),
        str(period.questions),
        *(str(k.get(kind, 0)) for kind in ("answer", "clarify", "fallback")),
        _percent(period.fallback_rate),
        str(k.get("crisis", 0)),
        str(k.get("smalltalk", 0)),
    ]


def render_table(report: Report, limit: int = 30) -> str:
    """The report as plain columns for a terminal."""
    out = ["Unanswered questions, " + _heading(report), ""]
    if report.groups:
        rows = [[str(g.count), _clip(g.text, 60), _closest(g)] for g in report.groups[:limit]]
        lines = _rows(("Count", "Question", "Closest entry (confidence)"), rows, {0})
        out.append(lines[0])
        for group, line in zip(report.groups[:limit], lines[1:], strict=True):
            out.append(line)
            if group.examples:
                also = ", ".join(repr(_clip(e, 40)) for e in group.examples)
                out.append(f"{'':>5}  also: {also}")
        if len(report.groups) > limit:
            out.append(f"... and {len(report.groups) - limit} more groups")
        out += _suggestions(report, limit, _printable)
    else:
        out.append("No unanswered questions.")
    out += ["", "Entries given most"]
    if report.entries:
        rows = [[str(e.count), e.entry_id, _clip(e.question, 50)] for e in report.entries[:limit]]
        out += _rows(("Count", "Entry", "Question"), rows, {0})
    else:
        out.append("None yet.")
    out += ["", "Replies over time"]
    rows = [_period_cells(report, p) for p in report.periods]
    out += _rows((*_PERIOD_HEADER, *_PERIOD_EXTRA), rows, set(range(1, 8)))
    return "\n".join(out) + "\n"


def _suggestions(report: Report, limit: int, shown: Callable[[str], str]) -> list[str]:
    """Suggested `alternates` lines, for staff to copy into the entry if they agree."""
    suggested = [g for g in report.groups[:limit] if g.suggested and g.entry_id]
    if not suggested:
        return []
    out = ["", "Suggested alternates (nearest in meaning; check, then add by hand):"]
    for g in suggested:
        quoted = json.dumps(shown(g.text), ensure_ascii=False)
        out.append(f"  entry {g.entry_id}:  - {quoted}")
    return out


def _md(text: str) -> str:
    return _printable(text.replace("|", "\\|").replace("\n", " "))


def render_markdown(report: Report, limit: int = 30) -> str:
    """The report as Markdown, for an e-mail or a wiki page."""
    out = ["# Unanswered questions", "", _heading(report), ""]
    if report.groups:
        out += ["| Count | Question | Also asked as | Closest entry | Confidence |"]
        out += ["| ---: | --- | --- | --- | ---: |"]
        for g in report.groups[:limit]:
            also = "; ".join(_md(e) for e in g.examples)
            out.append(
                f"| {g.count} | {_md(g.text)} | {also} | {g.entry_id or '-'} | {g.confidence:.2f} |"
            )
        out += _suggestions(report, limit, _md)
    else:
        out.append("No unanswered questions.")
    out += ["", "## Entries given most", ""]
    if report.entries:
        out += ["| Count | Entry | Question |", "| ---: | --- | --- |"]
        out += [f"| {e.count} | {e.entry_id} | {_md(e.question)} |" for e in report.entries[:limit]]
    else:
        out.append("None yet.")
    out += ["", "## Replies over time", ""]
    header = (*_PERIOD_HEADER, *_PERIOD_EXTRA)
    out += ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    out += ["| " + " | ".join(_period_cells(report, p)) + " |" for p in report.periods]
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "section",
    "period_start",
    "period_end",
    "text",
    "count",
    "entry_id",
    "confidence",
    "examples",
    *_KIND_COLUMNS,
    "fallback_rate",
)


def render_csv(report: Report) -> str:
    """The whole report as one CSV table; `section` is group, entry or period."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for g in report.groups:
        writer.writerow(
            {
                "section": "group",
                "text": _cell(g.text),
                "count": g.count,
                "entry_id": g.entry_id or "",
                "confidence": f"{g.confidence:.4f}",
                "examples": _cell(" | ".join(g.examples)),
            }
        )
    for e in report.entries:
        writer.writerow(
            {"section": "entry", "text": e.question, "count": e.count, "entry_id": e.entry_id}
        )
    for p in report.periods:
        rate = p.fallback_rate
        writer.writerow(
            {
                "section": "period",
                "period_start": p.start.isoformat(),
                "period_end": p.end.isoformat(),
                "count": p.questions,
                **{kind: p.kinds.get(kind, 0) for kind in _KIND_COLUMNS},
                "fallback_rate": "" if rate is None else f"{rate:.4f}",
            }
        )
    return buffer.getvalue()


def render(report: Report, format: str = "table") -> str:
    if format == "csv":
        return render_csv(report)
    if format == "markdown":
        return render_markdown(report)
    return render_table(report)


def render_short(report: Report, say: Callable[..., str], groups: int = 5, entries: int = 3) -> str:
    """A few lines of plain text for the admins' /report in Telegram (well under 4096), in
    the knowledge's words: `say(key, **values)` gives the message `admin_report...` named."""
    days = max((report.until.date() - report.since.date()).days, 1)
    t = report.totals
    lines = [
        say(
            "admin_report",
            days=days,
            questions=t.questions,
            fallbacks=t.kinds.get("fallback", 0),
            rate=_percent(t.fallback_rate),
            clarifies=t.kinds.get("clarify", 0),
            crisis=t.kinds.get("crisis", 0),
        ),
    ]
    if report.groups:
        lines += ["", say("admin_report_unanswered", count=report.unanswered)]
        for number, g in enumerate(report.groups[:groups], 1):
            times = f" \u00d7{g.count}" if g.count > 1 else ""
            closest = f" \u2192 {g.entry_id} ({g.confidence:.2f})" if g.entry_id else ""
            lines.append(f"{number}. \u201c{_clip(g.text, 70)}\u201d{times}{closest}")
        if len(report.groups) > groups:
            lines.append(say("admin_report_more", count=len(report.groups) - groups))
    else:
        lines += ["", say("admin_report_none")]
    if report.entries:
        top = ", ".join(f"{e.entry_id} {e.count}" for e in report.entries[:entries])
        lines += ["", say("admin_report_given", entries=top)]
    lines += ["", say("admin_report_full")]
    return "\n".join(lines)

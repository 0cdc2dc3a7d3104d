"""`dit-bot check` on what the answers say: the number of sessions and phone numbers the same
everywhere, and every answer resting on a passage of the approved overview."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from bot.core.knowledge import KnowledgeBase
from bot.core.text import fold
from bot.editing.located import problem_at
from bot.editing.yaml_reading import Problem

# Consistency

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_UNITS = "|".join(w for w in _NUMBER_WORDS if 0 < _NUMBER_WORDS[w] < 10)
_NUMBER = rf"(\d+|(?:{'|'.join(_TENS)}) (?:{_UNITS})|{'|'.join(_NUMBER_WORDS)}|{'|'.join(_TENS)})"
# "16 sessions", "sixteen weekly sessions", "twenty four sessions" (folded: no hyphens).
_SESSIONS = re.compile(rf"\b{_NUMBER} (?:[a-z]+ )?sessions?\b")


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    tens, _, unit = text.partition(" ")
    if unit:
        return _TENS[tens] + _NUMBER_WORDS[unit]
    return _NUMBER_WORDS.get(text, _TENS.get(text, 0))


def _texts(knowledge: KnowledgeBase) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(location key, description, text) for every answer and message."""
    for entry in knowledge.entries.values():
        yield ("entry", entry.id, "answer"), f"the answer of entry {entry.id}", entry.answer
    for name, text in knowledge.messages.items():
        yield ("messages", name), f"message {name}", text


def _odd_ones_out(
    knowledge: KnowledgeBase,
    found: Iterable[tuple[tuple[str | int, ...], str, str, str]],
    what: str,
) -> list[Problem]:
    """Values that differ from the most common one. `found`: (key, description, value, shown)."""
    found = list(found)
    counts = Counter(value for _, _, value, _ in found)
    if len(counts) < 2:
        return []
    usual, times = counts.most_common(1)[0]
    shown_usual = next(shown for _, _, value, shown in found if value == usual)
    problems = []
    for key, description, value, shown in found:
        if value != usual:
            message = (
                f"{description} gives {what} {shown}, but {times} other place"
                f"{'s' if times > 1 else ''} give{'' if times > 1 else 's'} {shown_usual}"
            )
            problems.append(problem_at(knowledge, key, message, "warning"))
    return problems


def inconsistent_sessions(knowledge: KnowledgeBase) -> list[Problem]:
    """Answers stating a number of sessions other than the one most of them state."""
    found = []
    for key, description, text in _texts(knowledge):
        for match in {m.group(0): m for m in _SESSIONS.finditer(fold(text))}.values():
            number = _number(match.group(1))
            if number > 1:
                found.append((key, description, str(number), repr(match.group(0))))
    return _odd_ones_out(knowledge, found, "the number of sessions as")


# UK numbers (01234 567890, 07700 900123, +44 20 7946 0958, (020) 7946 0958) and other
# international ones; short services such as 999, 111 and 116 123 are not phone numbers here.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s-]?(?:\(0\))?|\(?0)\d[\d\s()-]{7,14}\d(?!\w)")


def phone_key(number: str) -> str:
    """A phone number as comparable digits: +44 and a leading 0 are the same."""
    digits = re.sub(r"\D", "", number.replace("(0)", ""))
    if number.lstrip().startswith("+44"):
        digits = "0" + digits[2:]
    return digits


def inconsistent_phones(knowledge: KnowledgeBase) -> list[Problem]:
    """Answers and messages giving a phone number other than the one most of them give."""
    found = []
    for key, description, text in _texts(knowledge):
        numbers = {phone_key(m.group(0)): m.group(0).strip() for m in _PHONE.finditer(text)}
        found += [(key, description, digits, repr(shown)) for digits, shown in numbers.items()]
    return _odd_ones_out(knowledge, found, "the phone number")


# Sources

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u00a0": " ",
    }
)


def normalise(text: str) -> str:
    """Text for comparing a source with the seed: quotes, dashes and spaces made plain."""
    return " ".join(text.translate(_QUOTES).replace("\u2026", "...").split())


def missing_sources(knowledge: KnowledgeBase, seed_text: str | None = None) -> list[Problem]:
    """Answers without a source; with a seed text, sources that are not a passage of it."""
    seed = normalise(seed_text) if seed_text is not None else None
    found = []
    for entry in knowledge.entries.values():
        if entry.kind != "answer":
            continue
        if entry.source is None:
            message = f"entry {entry.id} has no `source`: copy the passage its answer rests on"
            found.append(problem_at(knowledge, ("entry", entry.id), message, "error"))
        elif seed is not None and normalise(entry.source) not in seed:
            message = (
                f"the source of entry {entry.id} is not in the seed text word for word; "
                "copy it again from the overview"
            )
            found.append(problem_at(knowledge, ("entry", entry.id, "source"), message, "error"))
    return found

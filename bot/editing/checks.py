"""The editor's safety net: checks of a loaded knowledge base beyond its schema.

`bot.editing.knowledge_files` finds what makes a folder unloadable (broken YAML, missing fields,
links to nothing). The checks here look at a knowledge base that loads and ask whether it
will behave as its editor meant:

- retrieval self-test: every question and alternate is answered with its own entry (warning);
- near-duplicate phrasings in different entries (warning);
- entries that no topic and no guide reaches (warning; small talk is exempt, because
  greetings and thanks are typed, not browsed);
- consistency: an answer that states a different number of sessions, or a different phone
  number, from the rest (warning);
- answers without a `source`, and with a seed text, sources not found in it (error);
- crisis patterns that take too long on a long message (error);
- crisis `examples` that are not recognised and `not_examples` that are (error);
- the risk bank: balance, duplicates, examples the bank misjudges (risk_checks.py; warning);
- by meaning: phrasings of two entries that mean the same, and entries leaning towards another
  (meaning_checks.py; warning).

Every problem points at the file and line to open, through `KnowledgeBase.where`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from rapidfuzz import fuzz

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, Outcome
from bot.core.safety import PATTERN_SECONDS, CrisisDetector, compile_bounded
from bot.core.settings import Matching
from bot.core.text import WILDCARD, fold
from bot.core.vectors import Embedder
from bot.editing.knowledge_files import read_knowledge
from bot.editing.meaning_checks import check_meaning
from bot.editing.risk_checks import check_bank
from bot.editing.yaml_reading import Problem, Severity

NEAR_DUPLICATE = 92
# Kinds of entry that need not be reachable from a topic or guide.
UNBROWSED_KINDS = frozenset({"smalltalk"})


def check_folder(
    root: Path,
    matching: Matching | None = None,
    seed: Path | None = None,
    embeddings: Embedder | None = None,
    every_bank_example: bool = False,
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load `root` and, if it loads, run every check; all problems sorted by file and line.
    With `embeddings`, the risk bank is also checked example by example (risk_checks.py), and
    the phrasings by meaning (meaning_checks.py)."""
    knowledge, problems = read_knowledge(root)
    if knowledge is None:
        return None, problems
    seed_text: str | None = None
    if seed is not None:
        try:
            seed_text = seed.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            problems.append(Problem(str(seed), 0, f"cannot read the seed text: {why}"))
    problems.extend(run_checks(knowledge, matching or Matching(), seed_text))
    problems.extend(check_bank(knowledge, embeddings, every_bank_example))
    if embeddings is not None:
        problems.extend(check_meaning(knowledge, embeddings))
    return knowledge, sorted(set(problems))


def run_checks(
    knowledge: KnowledgeBase, matching: Matching, seed_text: str | None = None
) -> list[Problem]:
    """Every check below on one knowledge base."""
    detector = CrisisDetector(knowledge.crisis)
    return [
        *unbounded_patterns(knowledge),
        *crisis_examples(knowledge, detector),
        *missing_sources(knowledge, seed_text),
        *self_test(knowledge, Matcher(knowledge, matching), detector),
        *near_duplicates(knowledge),
        *unreached(knowledge),
        *inconsistent_sessions(knowledge),
        *inconsistent_phones(knowledge),
    ]


def _problem(
    knowledge: KnowledgeBase, key: tuple[str | int, ...], message: str, severity: Severity
) -> Problem:
    file, line = knowledge.where(*key)
    return Problem(file, line, message, severity)


def _phrasings(knowledge: KnowledgeBase) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
    """(entry id, phrasing, location key) for every question and alternate."""
    for entry in knowledge.entries.values():
        yield entry.id, entry.question, ("entry", entry.id, "question")
        for index, text in enumerate(entry.alternates):
            yield entry.id, text, ("entry", entry.id, "alternates", index)


def _what(key: tuple[str | int, ...], text: str) -> str:
    return f"question {text!r}" if key[2] == "question" else f"alternate {text!r}"


# Retrieval self-test


def self_test(
    knowledge: KnowledgeBase, matcher: Matcher, detector: CrisisDetector | None = None
) -> list[Problem]:
    """Each phrasing, asked as a message, must be answered with its own entry."""
    found = []
    for entry_id, text, key in _phrasings(knowledge):
        if WILDCARD in text:
            continue
        what = f"{_what(key, text)} of entry {entry_id}"
        if detector is not None and detector.check(text) is not None:
            message = f"{what} is taken for a crisis message, so it never reaches the entry"
            found.append(_problem(knowledge, key, message, "warning"))
            continue
        decision = matcher.decide(text)
        best = decision.best
        if decision.outcome is Outcome.ANSWER and best is not None and best.entry.id == entry_id:
            continue
        own = next(
            (c.score for c in matcher.rank(text, len(knowledge.entries)) if c.entry.id == entry_id),
            0.0,
        )
        if decision.outcome is Outcome.ANSWER and best is not None:
            message = (
                f"{what} is answered by entry {best.entry.id} "
                f"({best.score:.2f} vs {own:.2f} for {entry_id})"
            )
        elif decision.outcome is Outcome.CLARIFY:
            names = [c.entry.id for c in decision.candidates]
            listed = ", ".join(names[:-1]) + f" and {names[-1]}"
            scores = ", ".join(f"{c.score:.2f}" for c in decision.candidates)
            message = f"{what} gets a clarify between {listed} ({scores})"
            if entry_id not in names:
                message += f"; {entry_id} scores {own:.2f}"
        else:
            message = f"{what} is not answered: {entry_id} scores {own:.2f}"
            if best is not None and best.entry.id != entry_id:
                message += f", best is entry {best.entry.id} ({best.score:.2f})"
            message += f", below the threshold {matcher.settings.clarify_threshold:.2f}"
        found.append(_problem(knowledge, key, message, "warning"))
    return found


# Near-duplicate phrasings


def near_duplicates(knowledge: KnowledgeBase, cutoff: float = NEAR_DUPLICATE) -> list[Problem]:
    """Phrasings of different entries that read (almost) the same after folding."""
    items = [(entry_id, text, key, fold(text)) for entry_id, text, key in _phrasings(knowledge)]
    found = []
    for i, (entry_id, text, key, folded) in enumerate(items):
        for other_id, other_text, other_key, other_folded in items[:i]:
            if other_id == entry_id:
                continue
            score = fuzz.ratio(folded, other_folded, score_cutoff=cutoff)
            if not score:
                continue
            file, line = knowledge.where(*other_key)
            same = "the same as" if folded == other_folded else "nearly the same as"
            message = (
                f"{_what(key, text)} of entry {entry_id} is {same} "
                f"{_what(other_key, other_text)} of entry {other_id} ({file}:{line}); "
                "keep it in one entry only"
            )
            found.append(_problem(knowledge, key, message, "warning"))
    return found


# Reachability


def unreached(knowledge: KnowledgeBase) -> list[Problem]:
    """Entries without a topic that no guide shows: they can only be found by typing."""
    in_guides = {
        entry
        for guide in knowledge.guides.values()
        for step in guide.steps
        for entry in (step.entry, *(choice.entry for choice in step.choices))
        if entry is not None
    }
    found = []
    for entry in knowledge.entries.values():
        if entry.topic is None and entry.id not in in_guides and entry.kind not in UNBROWSED_KINDS:
            message = (
                f"entry {entry.id} is in no topic and no guide, so nobody browsing finds it; "
                "give it a `topic`"
            )
            found.append(_problem(knowledge, ("entry", entry.id), message, "warning"))
    return found


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
            problems.append(_problem(knowledge, key, message, "warning"))
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
            found.append(_problem(knowledge, ("entry", entry.id), message, "error"))
        elif seed is not None and normalise(entry.source) not in seed:
            message = (
                f"the source of entry {entry.id} is not in the seed text word for word; "
                "copy it again from the overview"
            )
            found.append(_problem(knowledge, ("entry", entry.id, "source"), message, "error"))
    return found


# Patterns that cannot be bounded

# Long inputs of the shapes that make a backtracking pattern explode ("burden burden ...",
# one endless word, letters and spaces alternating). A pattern slower than BOUND_SECONDS on
# any of them is refused: the bot would skip it whenever it overran its time on a message.
_PROBES = (
    "burden " * 570,
    "a" * 4000,
    "a " * 2000,
    "i " + "really " * 570 + "want to",
)
BOUND_SECONDS = PATTERN_SECONDS / 2  # a margin under what the bot allows


def unbounded_patterns(knowledge: KnowledgeBase) -> list[Problem]:
    """Crisis patterns and idioms that take too long on some long message (an error): the bot
    would skip them after PATTERN_SECONDS on every such message."""
    found = []
    for group in ("patterns", "idioms"):
        for index, pattern in enumerate(getattr(knowledge.crisis, group)):
            compiled = compile_bounded(pattern)
            try:
                for probe in _PROBES:
                    compiled.search(probe, timeout=BOUND_SECONDS)
            except TimeoutError:
                message = (
                    f"{group}[{index}] takes too long on a long message (nested repetition "
                    "such as '(\\w+\\s*)+'?); rewrite it or ask a developer"
                )
                found.append(_problem(knowledge, ("crisis", group, index), message, "error"))
    return found


# Crisis examples


def crisis_examples(
    knowledge: KnowledgeBase, detector: CrisisDetector | None = None
) -> list[Problem]:
    """`examples` must be recognised as a crisis and `not_examples` must not be."""
    detector = detector or CrisisDetector(knowledge.crisis)
    found = []
    for index, text in enumerate(knowledge.crisis.examples):
        if detector.check(text) is None:
            message = f"crisis example {text!r} is not recognised as a crisis by any pattern"
            found.append(_problem(knowledge, ("crisis", "examples", index), message, "error"))
    for index, text in enumerate(knowledge.crisis.not_examples):
        alarm = detector.check(text)
        if alarm is not None:
            message = (
                f"not_example {text!r} is taken for a crisis (pattern {alarm.pattern!r} "
                f"matched {alarm.matched!r}); add an idiom or narrow the pattern"
            )
            found.append(_problem(knowledge, ("crisis", "not_examples", index), message, "error"))
    return found

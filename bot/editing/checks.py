"""The editor's safety net: checks of a loaded knowledge base beyond its schema.

`bot.editing.knowledge_files` finds what makes a folder unloadable (broken YAML, missing fields,
links to nothing). The checks here look at a knowledge base that loads and ask whether it
will behave as its editor meant:

- retrieval self-test: every question and alternate is answered with its own entry (warning);
- near-duplicate phrasings in different entries (warning);
- entries that no topic and no guide reaches (warning; small talk is exempt, because
  greetings and thanks are typed, not browsed);
- phrasings of answers that read as questions about another therapy (`other_therapies`), so
  that they would never be answered (warning);
- consistency: an answer that states a different number of sessions, or a different phone
  number, from the rest (warning); answers without a `source`, and with a seed text, sources
  not found in it (error) (consistency_checks.py);
- crisis patterns that take too long on a long message, crisis `examples` that are not
  recognised and `not_examples` that are (error) (crisis_checks.py);
- the risk bank: balance, duplicates, examples the bank misjudges (risk_checks.py; warning);
- by meaning: phrasings of two entries that mean the same, and entries leaning towards another
  (meaning_checks.py; warning).

Every problem points at the file and line to open, through `KnowledgeBase.where`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rapidfuzz import fuzz

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, Outcome
from bot.core.safety import CrisisDetector
from bot.core.settings import Matching
from bot.core.subjects import Subjects
from bot.core.text import WILDCARD, fold
from bot.core.vectors import Embedder
from bot.editing.consistency_checks import (
    inconsistent_phones,
    inconsistent_sessions,
    missing_sources,
)
from bot.editing.crisis_checks import crisis_examples, unbounded_patterns
from bot.editing.knowledge_files import read_knowledge
from bot.editing.located import problem_at
from bot.editing.meaning_checks import check_meaning
from bot.editing.risk_checks import check_bank
from bot.editing.yaml_reading import Problem

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
        *refused_as_other_therapies(knowledge),
        *inconsistent_sessions(knowledge),
        *inconsistent_phones(knowledge),
    ]


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
            found.append(problem_at(knowledge, key, message, "warning"))
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
        found.append(problem_at(knowledge, key, message, "warning"))
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
            found.append(problem_at(knowledge, key, message, "warning"))
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
            found.append(problem_at(knowledge, ("entry", entry.id), message, "warning"))
    return found


# Other therapies


def refused_as_other_therapies(knowledge: KnowledgeBase) -> list[Problem]:
    """Phrasings of an answer that the bot would take for a question about another therapy
    (`bot.core.subjects`), and so never answer: an everyday word in `other_therapies` ("act"
    in "how should I act in a session"), or a phrasing that should name DIT."""
    subjects = Subjects(knowledge.language)
    found = []
    for entry_id, text, key in _phrasings(knowledge):
        if knowledge.entries[entry_id].kind != "answer":
            continue
        therapy = subjects.other_therapy(text)
        if therapy is not None:
            message = (
                f"{_what(key, text)} of entry {entry_id} reads as a question about {therapy!r} "
                "(other_therapies in language.yaml), so it would never be answered; name DIT "
                "in it, or take that word out of other_therapies"
            )
            found.append(problem_at(knowledge, key, message, "warning"))
    return found

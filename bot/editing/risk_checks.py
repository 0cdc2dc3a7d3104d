"""`dit-bot check` for the risk bank (knowledge/risk/): is it balanced, is anything in it twice,
and which examples would the bank itself judge wrongly if they were new messages?

The last check needs the encoder, so it runs only when one is given: every example is held out
in turn and judged by all the others (leave-one-out). A crisis example the rest call safe shows
wording the bank does not yet cover (unless a pattern catches it); a safe example the rest call
a crisis shows where the line is blurred. Both are warnings: the editor decides whether to add
neighbours or move the example.
"""

from __future__ import annotations

from bot.core.knowledge import CRISIS_CATEGORIES, KnowledgeBase
from bot.core.risk import RiskClassifier, bank_of
from bot.core.safety import CrisisDetector
from bot.core.text import fold
from bot.core.vectors import Embedder
from bot.editing.yaml_reading import Problem

# Fewer examples than this in a crisis category, and wording nobody wrote is likely missed.
MIN_PER_CATEGORY = 60


def check_bank(
    knowledge: KnowledgeBase, embeddings: Embedder | None = None, every: bool = False
) -> list[Problem]:
    """Balance, duplicates and (with `embeddings`) the leave-one-out misjudgements: one line
    per file, or with `every`, one per example."""
    found = [*balance(knowledge), *duplicates(knowledge)]
    if embeddings is not None:
        wrong = misjudged(knowledge, embeddings)
        found += wrong if every else summarised(knowledge, wrong)
    return found


def summarised(knowledge: KnowledgeBase, wrong: list[Problem]) -> list[Problem]:
    """One warning per bank file that has misjudged examples, at the file's first line."""
    per_file: dict[str, int] = {}
    for problem in wrong:
        per_file[problem.file] = per_file.get(problem.file, 0) + 1
    found = []
    for file_index, bank in enumerate(knowledge.risk_examples):
        file, line = knowledge.where("risk_examples", file_index)
        count = per_file.pop(file, 0)
        if count:
            what = "missed" if bank.kind == "crisis" else "taken for a crisis"
            message = (
                f"{count} of {len(bank.examples)} {bank.kind} examples of {bank.category} would "
                f"be {what} if they were new messages; `dit-bot check --bank` lists them"
            )
            found.append(Problem(file, line, message, "warning"))
    return found


def balance(knowledge: KnowledgeBase) -> list[Problem]:
    """Every crisis category has enough examples, and there are hard negatives beside them.
    A folder with no bank at all is not warned about: its crisis check is the patterns alone."""
    if not knowledge.risk_examples:
        return []
    counts = {category: 0 for category in CRISIS_CATEGORIES}
    safe = 0
    for bank in knowledge.risk_examples:
        if bank.kind == "crisis":
            counts[bank.category] += len(bank.examples)
        elif bank.kind == "safe":
            safe += len(bank.examples)
    found = []
    root = knowledge.where("crisis")[0] or "knowledge"
    for category, count in counts.items():
        if count < MIN_PER_CATEGORY:
            message = (
                f"the risk bank has {count} crisis examples of {category}; "
                f"add at least {MIN_PER_CATEGORY - count} more, in varied wording"
            )
            found.append(Problem(root, 0, message, "warning"))
    crisis = sum(counts.values())
    if crisis and safe < crisis // 2:
        message = (
            f"the risk bank has {safe} safe examples against {crisis} crisis ones; add hard "
            "negatives (idioms, everyday words, negation, the past) or false alarms will rise"
        )
        found.append(Problem(root, 0, message, "warning"))
    return found


def duplicates(knowledge: KnowledgeBase) -> list[Problem]:
    """An example given twice (ignoring case and punctuation), at the second place."""
    first: dict[str, tuple[int, int]] = {}
    found = []
    for file_index, bank in enumerate(knowledge.risk_examples):
        for index, text in enumerate(bank.examples):
            key = fold(text) or text  # emoji and punctuation alone fold to nothing
            if key in first:
                where = _where(knowledge, *first[key])
                message = f"risk example {text!r} is given twice (first at {where[0]}:{where[1]})"
                found.append(_problem(knowledge, file_index, index, message))
            else:
                first[key] = (file_index, index)
    return found


def misjudged(knowledge: KnowledgeBase, embeddings: Embedder) -> list[Problem]:
    """Examples the rest of the bank would judge wrongly, each at its line."""
    examples = bank_of(knowledge)
    classifier = RiskClassifier(examples, embeddings.embed([e.text for e in examples]))
    embeddings.save()
    # bank_of lists the bank's files in order, then the FAQ phrasings: map back to file, index.
    places = [
        (file_index, index)
        for file_index, bank in enumerate(knowledge.risk_examples)
        for index in range(len(bank.examples))
    ]
    patterns = CrisisDetector(knowledge.crisis)
    found = []
    for position, score in classifier.misjudged():
        if position >= len(places):
            continue  # an FAQ phrasing; the retrieval self-test covers those
        example = examples[position]
        if example.kind == "crisis" and patterns.check(example.text) is not None:
            continue  # the patterns catch it
        if example.kind == "crisis":
            message = (
                f"crisis example {example.text!r} would not be recognised if it were new "
                f"(vote {score:.2f}, threshold {classifier.threshold:.2f}): add examples "
                "worded like it"
            )
        else:
            message = (
                f"{example.kind} example {example.text!r} would be taken for a crisis if it "
                f"were new (vote {score:.2f}): add safe examples worded like it, or move it"
            )
        found.append(_problem(knowledge, *places[position], message))
    return found


def _where(knowledge: KnowledgeBase, file_index: int, index: int) -> tuple[str, int]:
    return knowledge.where("risk_examples", file_index, "examples", index)


def _problem(knowledge: KnowledgeBase, file_index: int, index: int, message: str) -> Problem:
    file, line = _where(knowledge, file_index, index)
    return Problem(file, line, message, "warning")

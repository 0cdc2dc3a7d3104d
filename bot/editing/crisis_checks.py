"""`dit-bot check` on the crisis patterns: none may take too long on a long message, and each
recognises its `examples` and none of its `not_examples`."""

from __future__ import annotations

from bot.core.knowledge import KnowledgeBase
from bot.core.patterns import PATTERN_SECONDS, compile_bounded
from bot.core.safety import CrisisDetector
from bot.editing.located import problem_at
from bot.editing.yaml_reading import Problem

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
    """Crisis patterns and idioms that take too long on some long message (an error): on every
    such message the bot would wait for them far longer than PATTERN_SECONDS, and then take the
    message for a crisis (a pattern) or leave the idiom in."""
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
                found.append(problem_at(knowledge, ("crisis", group, index), message, "error"))
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
            found.append(problem_at(knowledge, ("crisis", "examples", index), message, "error"))
    for index, text in enumerate(knowledge.crisis.not_examples):
        alarm = detector.check(text)
        if alarm is not None:
            message = (
                f"not_example {text!r} is taken for a crisis (pattern {alarm.pattern!r} "
                f"matched {alarm.matched!r}); add an idiom or narrow the pattern"
            )
            found.append(problem_at(knowledge, ("crisis", "not_examples", index), message, "error"))
    return found

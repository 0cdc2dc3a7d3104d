"""The checks of `dit-bot check` beyond the schema: each kind of problem at its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bot.config import Matching
from bot.editing.checks import check_folder
from bot.editing.consistency_checks import normalise, phone_key
from bot.editing.yaml_reading import Problem
from tests.conftest import SHIPPED_KNOWLEDGE, write_knowledge

SESSIONS = "knowledge/entries/sessions.yaml"
PROBLEMS = "knowledge/entries/problems.yaml"
OTHER = "knowledge/entries/other.yaml"
SEED = (
    "Dynamic interpersonal therapy is a short term therapy that is usually offered in a set "
    "of 16 sessions. It has been developed for the following:\n\n\u2022 Depression\n"
)

# A small folder of our own (the shipped texts, crisis and topics plus these) on which every
# check passes; each test below breaks it in one way.
BASE = {
    "entries/sessions.yaml": """\
        entries:
          - id: sessions-count
            topic: sessions
            question: How many sessions does DIT take?
            alternates:
              - number of sessions
              - how many appointments are there
            answer: DIT is usually offered as a set of 16 sessions.
            source: "usually offered in a set of 16 sessions"

          - id: what-is-dit
            question: What is DIT?
            alternates:
              - what does dit stand for
            answer: Dynamic interpersonal therapy is a short term talking therapy.
            source: "Dynamic interpersonal therapy is a short term therapy"
        """,
    "entries/problems.yaml": """\
        entries:
          - id: help-depression
            topic: problems
            question: Can DIT help with depression?
            alternates:
              - is dit good for depression
              - can dit help with *
            answer: Depression is one of the problems DIT has been developed for.
            source: "Depression"
        """,
    "entries/other.yaml": """\
        entries:
          - id: greeting
            kind: smalltalk
            question: Hello
            alternates: [hi, good morning]
            answer: Hello. Ask me anything about DIT.

          - id: nc-cost
            kind: not_covered
            topic: practical
            question: How much does DIT cost?
            alternates: [what is the price of dit]
            answer: I don't have information about cost. Please ask {clinic_contact}.
        """,
    "guides.yaml": """\
        guides:
          - id: tour
            title: A short tour
            steps:
              - entry: what-is-dit
        """,
    "language.yaml": """\
        language:
          synonyms:
            session: [sessions, appointments, appointment]
          filler_words: [hi, hello, please, thanks]
        """,
}


def checked(
    tmp_path: Path, edits: dict[str, tuple[str, str]] | None = None, seed: str | None = SEED
) -> list[Problem]:
    """Problems of the base folder with `edits` (file -> (old text, new text)) applied."""
    files = {name: textwrap.dedent(text) for name, text in BASE.items()}
    for name, (old, new) in (edits or {}).items():
        assert old in files[name], old
        files[name] = files[name].replace(old, new, 1)
    root = write_knowledge(tmp_path / "knowledge", files)
    seed_path = None
    if seed is not None:
        seed_path = tmp_path / "overview.txt"
        seed_path.write_text(seed, encoding="utf-8")
    _, problems = check_folder(root, Matching(), seed_path)
    return problems


def line_of(tmp_path: Path, name: str, text: str, after: str = "") -> int:
    """The number of the first line containing `text` (after the first containing `after`)."""
    lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if after in line)
    return next(n for n, line in enumerate(lines[start:], start + 1) if text in line)


def only(problems: list[Problem], severity: str, containing: str) -> Problem:
    found = [p for p in problems if p.severity == severity and containing in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_the_base_folder_has_no_problems(tmp_path: Path) -> None:
    assert checked(tmp_path) == []


def test_the_shipped_knowledge_has_no_errors() -> None:
    knowledge, problems = check_folder(SHIPPED_KNOWLEDGE)
    assert knowledge is not None
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_a_folder_that_does_not_load_gives_only_its_schema_errors(tmp_path: Path) -> None:
    problems = checked(tmp_path, {"entries/other.yaml": ("    answer: Hello.", "    answr: x")})
    assert problems
    assert all(p.severity == "error" for p in problems)
    assert any(p.file == OTHER and "answr" in p.message for p in problems)


# Retrieval self-test

SESSIONS_DECIDED = (
    "  - id: what-is-dit\n",
    "  - id: sessions-decided\n"
    "    topic: sessions\n"
    "    question: Who decides the number of sessions?\n"
    "    alternates:\n"
    "      - how many appointments are there\n"
    "    related: [sessions-count]\n"
    "    answer: You and your therapist decide it.\n"
    '    source: "16 sessions"\n\n'
    "  - id: what-is-dit\n",
)


def test_an_alternate_answered_by_another_entry_is_a_warning_at_its_line(
    tmp_path: Path,
) -> None:
    # The two entries are related, so not rivals: the first of two equal matches is answered.
    problems = checked(tmp_path, {"entries/sessions.yaml": SESSIONS_DECIDED})
    problem = only(problems, "warning", "is answered by")
    assert problem.message == (
        "alternate 'how many appointments are there' of entry sessions-decided is answered "
        "by entry sessions-count (1.00 vs 1.00 for sessions-decided)"
    )
    assert problem.file == SESSIONS
    assert problem.line == line_of(
        tmp_path, SESSIONS, "how many appointments are there", after="sessions-decided"
    )


def test_an_alternate_that_gets_a_clarify_is_a_warning_at_its_line(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/sessions.yaml": (
                "      - what does dit stand for\n",
                "      - what does dit stand for\n      - how many sessions are there\n",
            )
        },
    )
    problem = only(problems, "warning", "'how many sessions are there' of entry what-is-dit")
    assert problem.message == (
        "alternate 'how many sessions are there' of entry what-is-dit gets a clarify between "
        "sessions-count and what-is-dit (1.00, 1.00)"
    )
    assert (problem.file, problem.line) == (
        SESSIONS,
        line_of(tmp_path, SESSIONS, "how many sessions are there"),
    )
    # The other side of the tie is reported at its own line too.
    other = only(problems, "warning", "'how many appointments are there' of entry sessions")
    assert other.line == line_of(tmp_path, SESSIONS, "how many appointments are there")


def test_a_phrasing_taken_for_a_crisis_is_a_warning(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {"entries/other.yaml": ("alternates: [hi, good morning]", "alternates: [hi, kms]")},
    )
    problem = only(problems, "warning", "crisis")
    assert problem.message.startswith("alternate 'kms' of entry greeting is taken for a crisis")
    assert (problem.file, problem.line) == (OTHER, line_of(tmp_path, OTHER, "alternates: [hi"))


def test_wildcard_phrasings_are_not_self_tested(tmp_path: Path) -> None:
    # `can dit help with *` in the base would otherwise be tried as a message.
    assert not [p for p in checked(tmp_path) if "*" in p.message]


# Near duplicates


def test_near_duplicate_phrasings_in_two_entries_name_both_places(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/other.yaml": (
                "alternates: [what is the price of dit]",
                "alternates: [what is the price of dit, 'How many sessions does DIT take!']",
            )
        },
    )
    problem = only(problems, "warning", "the same as")
    other = line_of(tmp_path, OTHER, "alternates: [what")
    assert problem.message == (
        "question 'How many sessions does DIT take?' of entry sessions-count is the same as "
        f"alternate 'How many sessions does DIT take!' of entry nc-cost ({OTHER}:{other}); "
        "keep it in one entry only"
    )
    assert (problem.file, problem.line) == (
        SESSIONS,
        line_of(tmp_path, SESSIONS, "question: How many sessions"),
    )


def test_phrasings_that_differ_by_a_letter_are_nearly_the_same(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/other.yaml": (
                "alternates: [what is the price of dit]",
                "alternates: [what is the price of dit, is dit good for depressions]",
            )
        },
    )
    problem = only(problems, "warning", "nearly the same as")
    assert problem.message.startswith(
        "alternate 'is dit good for depression' of entry help-depression is nearly the same as "
        "alternate 'is dit good for depressions' of entry nc-cost"
    )
    assert (problem.file, problem.line) == (
        PROBLEMS,
        line_of(tmp_path, PROBLEMS, "- is dit good for depression"),
    )


# Reachability


def test_an_entry_no_topic_or_guide_reaches_is_a_warning_at_its_id(tmp_path: Path) -> None:
    problems = checked(
        tmp_path, {"entries/problems.yaml": ("    topic: problems\n", "")}, seed=None
    )
    problem = only(problems, "warning", "no topic and no guide")
    assert problem.message.startswith("entry help-depression is in no topic and no guide")
    assert (problem.file, problem.line) == (
        PROBLEMS,
        line_of(tmp_path, PROBLEMS, "- id: help-depression"),
    )


def test_guides_and_small_talk_need_no_topic(tmp_path: Path) -> None:
    # In the base, what-is-dit is only in the guide and greeting is small talk without a topic.
    assert not [p for p in checked(tmp_path) if "no topic" in p.message]


def test_a_guide_choice_reaches_an_entry(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/problems.yaml": ("    topic: problems\n", ""),
            "guides.yaml": (
                "      - entry: what-is-dit\n",
                "      - entry: what-is-dit\n"
                "      - text: Choose one\n"
                "        choices:\n"
                "          - label: Depression\n"
                "            entry: help-depression\n",
            ),
        },
    )
    assert not [p for p in problems if "no topic" in p.message]


# Other therapies


def test_an_alternate_that_reads_as_about_another_therapy_is_a_warning_at_its_line(
    tmp_path: Path,
) -> None:
    problems = checked(
        tmp_path,
        {
            "language.yaml": ("  filler_words:", "  other_therapies: [CBT]\n  filler_words:"),
            "entries/sessions.yaml": (
                "      - number of sessions\n",
                "      - number of sessions\n      - is cbt shorter\n",
            ),
        },
    )
    problem = only(problems, "warning", "reads as a question about")
    assert problem.message.startswith(
        "alternate 'is cbt shorter' of entry sessions-count reads as a question about 'CBT'"
    )
    assert (problem.file, problem.line) == (
        SESSIONS,
        line_of(tmp_path, SESSIONS, "- is cbt shorter"),
    )


def test_a_not_covered_phrasing_about_another_therapy_is_no_warning(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "language.yaml": ("  filler_words:", "  other_therapies: [CBT]\n  filler_words:"),
            "entries/other.yaml": ("[what is the price of dit]", "[what is the price of cbt]"),
        },
    )
    assert not [p for p in problems if "reads as a question about" in p.message]


# Consistency


def test_an_answer_with_another_number_of_sessions_is_a_warning(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/sessions.yaml": (
                "short term talking therapy.",
                "short term talking therapy of twenty-four weekly sessions.",
            ),
            "entries/problems.yaml": (
                "has been developed for.",
                "has been developed for, in 16 sessions.",
            ),
        },
    )
    problem = only(problems, "warning", "number of sessions")
    assert problem.message == (
        "the answer of entry what-is-dit gives the number of sessions as 'twenty four weekly "
        "sessions', but 2 other places give '16 sessions'"
    )
    assert (problem.file, problem.line) == (
        SESSIONS,
        line_of(tmp_path, SESSIONS, "answer: Dynamic"),
    )


def test_the_same_number_spelled_out_is_consistent(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {"entries/sessions.yaml": ("short term talking therapy.", "therapy of sixteen sessions.")},
    )
    assert not [p for p in problems if "sessions as" in p.message]


def test_an_answer_with_another_phone_number_is_a_warning(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {
            "entries/sessions.yaml": (
                "a set of 16 sessions.",
                "a set of 16 sessions. Call 01632 960123.",
            ),
            "entries/problems.yaml": (
                "has been developed for.",
                "has been developed for. Ring +44 1632 960123.",
            ),
            "entries/other.yaml": (
                "Please ask {clinic_contact}.",
                "Please ring (01632) 960 999.",
            ),
        },
    )
    problem = only(problems, "warning", "phone number")
    assert problem.message == (
        "the answer of entry nc-cost gives the phone number '(01632) 960 999', but 2 other "
        "places give '+44 1632 960123'"
    )
    assert (problem.file, problem.line) == (OTHER, line_of(tmp_path, OTHER, "answer: I don't"))


def test_phone_numbers_compare_as_digits() -> None:
    assert phone_key("+44 20 7946 0958") == phone_key("020 7946 0958") == "02079460958"
    assert phone_key("+44 (0)20 7946 0958") == "02079460958"


# Sources


def test_an_answer_without_a_source_is_an_error_at_the_entry(tmp_path: Path) -> None:
    problems = checked(tmp_path, {"entries/problems.yaml": ('    source: "Depression"\n', "")})
    problem = only(problems, "error", "source")
    assert (problem.file, problem.line) == (
        PROBLEMS,
        line_of(tmp_path, PROBLEMS, "- id: help-depression"),
    )


def test_a_source_not_in_the_seed_is_an_error_at_the_source_line(tmp_path: Path) -> None:
    problems = checked(
        tmp_path,
        {"entries/problems.yaml": ('source: "Depression"', 'source: "Severe depression"')},
    )
    problem = only(problems, "error", "seed")
    assert problem.message.startswith("the source of entry help-depression is not in the seed")
    assert (problem.file, problem.line) == (PROBLEMS, line_of(tmp_path, PROBLEMS, "source:"))


def test_sources_match_the_seed_whatever_the_quotes_and_spaces(tmp_path: Path) -> None:
    seed = SEED.replace("short term", "short\n  term").replace(
        "Depression", "\u201cDepression\u201d"
    )
    problems = checked(
        tmp_path,
        {"entries/problems.yaml": ('source: "Depression"', "source: '\"Depression\"'")},
        seed=seed,
    )
    assert problems == []
    assert normalise("it\u2019s  a \u201cset\u201d") == 'it\'s a "set"'


def test_an_unreadable_seed_is_an_error(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge", BASE)
    _, problems = check_folder(root, Matching(), tmp_path / "missing.txt")
    assert [p.severity for p in problems] == ["error"]
    assert "cannot read the seed text" in problems[0].message


# Crisis examples

CRISIS = (
    "crisis:\n"
    "  reply: Please call 999.\n"
    "  patterns: ['\\bsuicid', '\\bdying\\b']\n"
    "  idioms: ['dying to know']\n"
    "  examples:\n"
    "    - I feel suicidal\n"
    "    - I want to hurt myself\n"
    "  not_examples:\n"
    "    - I'm dying to know how long it takes\n"
    "    - my dad is dying, can DIT help?\n"
)


def test_crisis_examples_that_misbehave_are_errors_at_their_lines(tmp_path: Path) -> None:
    files = {**BASE, "crisis.yaml": CRISIS}
    root = write_knowledge(tmp_path / "knowledge", files)
    _, problems = check_folder(root)
    assert [str(p) for p in problems] == [
        "knowledge/crisis.yaml:7: crisis example 'I want to hurt myself' is not recognised as "
        "a crisis by any pattern",
        "knowledge/crisis.yaml:10: not_example 'my dad is dying, can DIT help?' is taken for a "
        "crisis (pattern '\\\\bdying\\\\b' matched 'dying'); add an idiom or narrow the pattern",
    ]


def test_the_shipped_crisis_examples_all_behave() -> None:
    _, problems = check_folder(SHIPPED_KNOWLEDGE)
    assert not [p for p in problems if p.file.endswith("crisis.yaml")]


# The risk bank


def test_a_risk_example_given_twice_is_a_warning_at_the_second(tmp_path: Path) -> None:
    bank = (
        "risk_examples:\n  category: idioms\n  kind: safe\n  examples:\n"
        "    - my boss will kill me\n    - this queue is killing me\n"
    )
    again = bank.replace("my boss will kill me", "this form is killing me").replace(
        "this queue is killing me", "My boss will KILL me!"
    )
    root = write_knowledge(
        tmp_path / "knowledge", {**BASE, "risk/a.yaml": bank, "risk/b.yaml": again}
    )
    _, problems = check_folder(root)
    twice = [str(p) for p in problems if "twice" in p.message]
    assert twice == [
        "knowledge/risk/b.yaml:6: warning: risk example 'My boss will KILL me!' is given twice "
        "(first at knowledge/risk/a.yaml:5)"
    ]


def test_a_thin_crisis_category_is_a_warning(tmp_path: Path) -> None:
    bank = "risk_examples:\n  category: harm_baby\n  kind: crisis\n  examples:\n    - x y z\n"
    root = write_knowledge(tmp_path / "knowledge", {**BASE, "risk/harm_baby.yaml": bank})
    _, problems = check_folder(root)
    thin = [p.message for p in problems if "crisis examples of harm_baby" in p.message]
    assert thin == [
        "the risk bank has 1 crisis examples of harm_baby; add at least 59 more, in varied wording"
    ]


def test_without_a_bank_there_are_no_bank_warnings(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge", BASE)
    _, problems = check_folder(root)
    assert not [p for p in problems if "risk" in p.message]


# Patterns that cannot be bounded

SLOW_CRISIS = (
    "crisis:\n"
    "  reply: Please call 999.\n"
    "  patterns:\n"
    "    - '\\bsuicid'\n"
    "    - '(\\w+\\s?)+\\d'\n"  # nested repetition: explodes on a long run of words
)


def test_a_pattern_that_backtracks_without_end_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge", {**BASE, "crisis.yaml": SLOW_CRISIS})
    _, problems = check_folder(root)
    slow = [str(p) for p in problems if "takes too long" in p.message]
    assert slow == [
        "knowledge/crisis.yaml:5: patterns[1] takes too long on a long message (nested "
        "repetition such as '(\\w+\\s*)+'?); rewrite it or ask a developer"
    ]

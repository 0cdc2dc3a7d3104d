"""`dit-bot check` by meaning, with the real encoder: phrasings of two entries that mean the
same, and an entry whose phrasings lean towards another."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.embeddings import Embeddings
from bot.editing.knowledge_files import load_knowledge
from bot.editing.meaning_checks import check_meaning
from tests.conftest import write_knowledge

TWINS = """\
    entries:
      - id: what-it-is
        topic: about
        question: What is DIT?
        answer: A talking therapy.
        source: "a talking therapy"
      - id: the-letters
        topic: about
        question: What do the letters stand for?
        alternates:
          - what does dit mean
        answer: Dynamic Interpersonal Therapy.
        source: "Dynamic Interpersonal Therapy"
    """

LEANING = """\
    entries:
      - id: parking
        topic: about
        question: Where can I park for my sessions?
        alternates:
          - is there parking near the clinic
          - where do i leave my car
        answer: Ask your clinic.
        source: "ask your clinic"
      - id: travel
        topic: about
        question: How do I get to my sessions?
        alternates:
          - is there a car park at the clinic
          - where can i park my car
          - can i park at the clinic
          - which bus goes to the clinic
        answer: Ask your clinic.
        source: "ask your clinic"
    """


def test_two_entries_asking_the_same_in_other_words_are_named_with_their_lines(
    tmp_path: Path, embeddings: Embeddings
) -> None:
    knowledge = load_knowledge(write_knowledge(tmp_path / "k", {"entries/about.yaml": TWINS}))
    found = [p for p in check_meaning(knowledge, embeddings) if "means nearly" in p.message]
    assert len(found) == 1
    problem = found[0]
    assert problem.severity == "warning"
    assert (Path(problem.file).name, problem.line) == ("about.yaml", 11)
    assert "entry what-it-is" in problem.message and "about.yaml:4" in problem.message


def test_the_small_knowledge_has_no_twins_in_meaning(
    tmp_path: Path, embeddings: Embeddings
) -> None:
    knowledge = load_knowledge(write_knowledge(tmp_path / "k"))
    assert not [p for p in check_meaning(knowledge, embeddings) if "means nearly" in p.message]


def test_an_entry_whose_phrasings_lean_towards_another_is_named(
    tmp_path: Path, embeddings: Embeddings
) -> None:
    knowledge = load_knowledge(write_knowledge(tmp_path / "k", {"entries/about.yaml": LEANING}))
    found = {
        p.message.split(":")[0]: p
        for p in check_meaning(knowledge, embeddings)
        if "closer in meaning" in p.message
    }
    # Most of "travel" asks what "parking" asks, and the other way round.
    assert "3 of its 5 phrasings" in found["entry travel"].message
    assert "to entry parking" in found["entry travel"].message
    assert (Path(found["entry travel"].file).name, found["entry travel"].line) == ("about.yaml", 12)
    assert "to entry travel" in found["entry parking"].message
    assert "entry help-bereavement" not in found

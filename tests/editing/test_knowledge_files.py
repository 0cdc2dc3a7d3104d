"""The knowledge loader: every problem is reported as `file:line: message` at the right line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.editing.knowledge_files import load_knowledge, read_knowledge
from bot.editing.yaml_reading import KnowledgeError, Problem
from tests.conftest import SHIPPED_KNOWLEDGE, write_knowledge

EXTRA = "knowledge/entries/extra.yaml"


def problems_for(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Load a small knowledge folder with `files` added; the problems as printed lines."""
    root = write_knowledge(tmp_path / "knowledge", files)
    knowledge, problems = read_knowledge(root)
    errors = [p for p in problems if p.severity == "error"]
    assert errors, "expected at least one error"
    assert knowledge is None
    return [str(p) for p in problems]


def an_entry(entry_id: str = "extra-one", **fields: str) -> str:
    lines = [
        f"  - id: {entry_id}",
        "    question: Is this an extra question?",
        "    answer: It is.",
        '    source: "Depression"',
    ]
    lines += [f"    {key}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def test_the_small_test_knowledge_loads_cleanly(knowledge_dir: Path) -> None:
    knowledge, problems = read_knowledge(knowledge_dir)
    assert problems == []
    assert knowledge is not None
    assert "sessions-count" in knowledge.entries


def test_the_shipped_knowledge_loads_with_no_errors_or_warnings() -> None:
    knowledge, problems = read_knowledge(SHIPPED_KNOWLEDGE)
    assert [str(p) for p in problems] == []
    assert knowledge is not None
    assert len(knowledge.entries) > 20


def test_the_shipped_crisis_reply_and_guides_point_at_real_entries(shipped_knowledge) -> None:
    for guide in shipped_knowledge.guides.values():
        for step in guide.steps:
            assert step.entry is None or step.entry in shipped_knowledge.entries
    assert "999" in shipped_knowledge.crisis.reply
    assert "116 123" in shipped_knowledge.crisis.reply


def test_invalid_yaml_is_reported_at_the_line_of_the_mistake(tmp_path: Path) -> None:
    text = "entries:\n  - id: extra-one\n    question: [unclosed\n    answer: x\n"
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert len(found) == 1
    assert found[0].startswith(f"{EXTRA}:")
    assert "not valid YAML" in found[0]
    line = int(found[0].split(":")[1])
    assert 3 <= line <= 4


def test_a_tab_indented_file_is_reported_as_invalid_yaml_at_the_tab(tmp_path: Path) -> None:
    text = "entries:\n  - id: extra-one\n\tquestion: x\n"
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    # The parser's own words differ between libyaml and pure Python; the place does not.
    assert len(found) == 1
    assert found[0].startswith(f"{EXTRA}:3: not valid YAML: ")
    assert "tab" in found[0] or "\\t" in found[0]


def test_an_unknown_field_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = "entries:\n" + an_entry(colour="blue")
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:6: unknown field 'colour'"
    ]


def test_a_misspelt_field_is_reported_as_unknown_at_its_line(tmp_path: Path) -> None:
    text = (
        "entries:\n"
        + an_entry("extra-one")
        + "  - id: extra-two\n"
        + "    question: Another?\n"
        + "    answr: Yes.\n"
        + '    source: "x"\n'
    )
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert f"{EXTRA}:8: unknown field 'answr'" in found
    assert f"{EXTRA}:6: missing field 'answer'" in found


def test_a_missing_field_is_reported_at_the_start_of_its_entry(tmp_path: Path) -> None:
    text = (
        "entries:\n"
        + an_entry("extra-one")
        + "\n"
        + "  - id: extra-two\n"
        + "    answer: No question here.\n"
        + '    source: "x"\n'
    )
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:7: missing field 'question'"
    ]


def test_an_answer_without_a_source_is_reported(tmp_path: Path) -> None:
    text = "entries:\n  - id: extra-one\n    question: Is it?\n    answer: It is.\n"
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert len(found) == 1
    assert found[0].startswith(f"{EXTRA}:2: ")
    assert "source" in found[0]


def test_a_duplicate_id_is_reported_at_its_second_line_naming_the_first(tmp_path: Path) -> None:
    files = {
        "entries/a-first.yaml": "entries:\n" + an_entry("twin"),
        "entries/b-second.yaml": "# a comment\n\nentries:\n" + an_entry("twin"),
    }
    found = problems_for(tmp_path, files)
    assert found == [
        "knowledge/entries/b-second.yaml:4: duplicate entry id 'twin' "
        "(first at knowledge/entries/a-first.yaml:2)"
    ]


def test_a_related_id_that_does_not_exist_is_reported_at_its_line(tmp_path: Path) -> None:
    text = (
        "entries:\n"
        "  - id: extra-one\n"
        "    question: Is it?\n"
        "    answer: It is.\n"
        "    related:\n"
        "      - sessions-count\n"
        "      - no-such-entry\n"
        '    source: "x"\n'
    )
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:7: related entry 'no-such-entry' not found"
    ]


def test_a_topic_that_does_not_exist_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "entries:\n" + an_entry(topic="astrology")
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:6: topic 'astrology' not found"
    ]


def test_a_guide_step_naming_a_missing_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    guides = (
        "guides:\n"
        "  - id: tour\n"
        "    title: A tour\n"
        "    steps:\n"
        "      - entry: sessions-count\n"
        "      - entry: vanished-entry\n"
    )
    assert problems_for(tmp_path, {"guides.yaml": guides}) == [
        "knowledge/guides.yaml:6: entry 'vanished-entry' not found"
    ]


def test_a_guide_choice_naming_a_missing_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    guides = (
        "guides:\n"
        "  - id: tour\n"
        "    title: A tour\n"
        "    steps:\n"
        "      - text: Pick one.\n"
        "        choices:\n"
        "          - label: Gone\n"
        "            entry: vanished-entry\n"
    )
    assert problems_for(tmp_path, {"guides.yaml": guides}) == [
        "knowledge/guides.yaml:8: entry 'vanished-entry' not found"
    ]


def test_an_over_long_answer_is_reported_with_its_length(tmp_path: Path) -> None:
    long_answer = "word " * 300
    text = (
        "entries:\n"
        + an_entry("extra-one")
        + "  - id: extra-long\n"
        + "    question: Is this long?\n"
        + f"    answer: {long_answer.strip()}\n"
        + '    source: "x"\n'
    )
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert len(found) == 1
    assert "1499 characters" in found[0]
    assert "1200" in found[0]
    assert found[0].startswith((f"{EXTRA}:6: ", f"{EXTRA}:8: "))


def test_an_over_long_answer_is_reported_at_the_answer_line(tmp_path: Path) -> None:
    text = (
        "entries:\n"
        + "  - id: extra-long\n"
        + "    question: Is this long?\n"
        + f"    answer: {'word ' * 300}\n"
        + '    source: "x"\n'
    )
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert found[0].startswith(f"{EXTRA}:4: ")


@pytest.mark.parametrize("bad_id", ["Capital-Id", "under_score", "-leading-hyphen", "x" * 41])
def test_an_id_that_breaks_the_pattern_is_reported_at_the_id_line(
    tmp_path: Path, bad_id: str
) -> None:
    text = "entries:\n" + an_entry("extra-one") + an_entry(bad_id)
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert found == [
        f"{EXTRA}:6: id: use lowercase letters, digits and hyphens, at most 40 characters"
    ]


def test_a_related_id_that_breaks_the_pattern_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "entries:\n" + an_entry(related="[sessions-count, Bad_Id]")
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert len(found) == 1
    assert found[0].startswith(f"{EXTRA}:6: related.1: ")


def test_a_missing_required_message_is_named(tmp_path: Path) -> None:
    text = (SHIPPED_KNOWLEDGE / "messages.yaml").read_text(encoding="utf-8")
    without_expired = "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith("  expired:") and not line.startswith("    Sorry, that button")
    )
    found = problems_for(tmp_path, {"messages.yaml": without_expired + "\n"})
    assert found == ["knowledge:0: messages missing: expired"]


def test_an_empty_message_is_reported_at_its_line(tmp_path: Path) -> None:
    text = (SHIPPED_KNOWLEDGE / "messages.yaml").read_text(encoding="utf-8")
    files = {"messages.yaml": text, "extra-messages.yaml": "messages:\n  spare: ''\n"}
    found = problems_for(tmp_path, files)
    assert "knowledge/extra-messages.yaml:2: message 'spare' must be a non-empty text" in found


def test_an_unused_message_is_only_a_warning(tmp_path: Path) -> None:
    root = write_knowledge(
        tmp_path / "knowledge", {"extra-messages.yaml": "messages:\n  spare: Hello\n"}
    )
    knowledge, problems = read_knowledge(root)
    assert knowledge is not None
    assert [str(p) for p in problems] == [
        "knowledge/extra-messages.yaml:2: warning: message 'spare' is not used by the bot"
    ]


def test_an_invalid_crisis_regex_is_reported_at_its_line(tmp_path: Path) -> None:
    crisis = (
        "crisis:\n  reply: Please call 999.\n  patterns:\n    - '\\bsuicid'\n    - '(unclosed'\n"
    )
    found = problems_for(tmp_path, {"crisis.yaml": crisis})
    assert len(found) == 1
    assert found[0].startswith("knowledge/crisis.yaml:5: patterns[1]: ")


def test_an_invalid_idiom_regex_is_reported_at_its_line(tmp_path: Path) -> None:
    crisis = (
        "crisis:\n"
        "  reply: Please call 999.\n"
        "  patterns: ['\\bsuicid']\n"
        "  idioms:\n"
        "    - 'dying to [know'\n"
    )
    found = problems_for(tmp_path, {"crisis.yaml": crisis})
    assert len(found) == 1
    assert found[0].startswith("knowledge/crisis.yaml:5: idioms[0]: ")


def test_a_missing_crisis_section_is_reported(tmp_path: Path) -> None:
    assert problems_for(tmp_path, {"crisis.yaml": ""}) == [
        "knowledge:0: no crisis section in any file"
    ]


def test_an_unknown_placeholder_in_an_answer_is_reported_at_the_answer(tmp_path: Path) -> None:
    text = (
        "entries:\n"
        "  - id: extra-one\n"
        "    question: Who runs this?\n"
        "    answer: Ask {clinic_phone} or {clinic_contact}.\n"
        '    source: "x"\n'
    )
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:4: unknown placeholder {{clinic_phone}}"
    ]


def test_an_unknown_placeholder_in_a_message_is_reported_at_the_message(tmp_path: Path) -> None:
    text = (SHIPPED_KNOWLEDGE / "messages.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  empty: |-\n    I didn't", "  empty: |-\n    Hello {first_name}. I didn't", 1
    )
    line = text.splitlines().index("  empty: |-") + 1
    assert problems_for(tmp_path, {"messages.yaml": text}) == [
        f"knowledge/messages.yaml:{line}: unknown placeholder {{first_name}}"
    ]


def test_a_placeholder_a_message_is_given_is_accepted(tmp_path: Path) -> None:
    # {retention_days} is filled in for privacy only.
    root = write_knowledge(tmp_path / "knowledge")
    knowledge, problems = read_knowledge(root)
    assert knowledge is not None
    assert "{retention_days}" in knowledge.messages["privacy"]
    assert problems == []


def test_a_file_that_is_not_utf8_is_reported_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge")
    (root / "entries" / "latin1.yaml").write_bytes(
        b"entries:\n  - id: cafe\n    question: Caf\xe9?\n"
    )
    knowledge, problems = read_knowledge(root)
    assert knowledge is None
    assert [str(p) for p in problems] == [
        "knowledge/entries/latin1.yaml:3: not UTF-8 text; save the file as UTF-8"
    ]


def test_an_unknown_section_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "entries:\n" + an_entry() + "faqs:\n  - x\n"
    assert problems_for(tmp_path, {"entries/extra.yaml": text}) == [
        f"{EXTRA}:6: unknown section 'faqs'; expected one of "
        "('entries', 'topics', 'guides', 'messages', 'crisis', 'language', 'risk_examples')"
    ]


def test_another_therapy_that_is_a_name_of_dit_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "language:\n  names: [dit]\n  other_therapies:\n    - cbt\n    - DIT\n"
    assert problems_for(tmp_path, {"language.yaml": text}) == [
        "knowledge/language.yaml:5: 'DIT' is a name of DIT, not another therapy"
    ]


def test_another_therapy_that_is_a_name_given_in_another_file_is_reported(
    tmp_path: Path,
) -> None:
    files = {
        "language.yaml": "language:\n  names: [dit]\n",
        "more_language.yaml": "language:\n  other_therapies: [cbt, Dit]\n",
    }
    assert problems_for(tmp_path, files) == [
        "knowledge/more_language.yaml:2: 'Dit' is a name of DIT, not another therapy"
    ]


def test_a_key_given_twice_is_reported_at_the_second(tmp_path: Path) -> None:
    text = "entries:\n" + an_entry(question="Asked twice?")
    found = problems_for(tmp_path, {"entries/extra.yaml": text})
    assert f"{EXTRA}:6: 'question' is given twice here" in found


def test_entries_that_are_not_a_list_are_reported(tmp_path: Path) -> None:
    found = problems_for(tmp_path, {"entries/extra.yaml": "# nothing yet\nentries: none\n"})
    assert found == [f"{EXTRA}:2: 'entries' must be a list (items start with '- ')"]


def test_an_empty_file_is_only_a_warning(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"entries/empty.yaml": "# to do\n"})
    knowledge, problems = read_knowledge(root)
    assert knowledge is not None
    assert [str(p) for p in problems] == [
        "knowledge/entries/empty.yaml:1: warning: the file is empty"
    ]


def test_every_problem_in_a_folder_is_reported_sorted_by_file_and_line(tmp_path: Path) -> None:
    files = {
        "entries/extra.yaml": "entries:\n" + an_entry(topic="nowhere", related="[gone]"),
        "entries/also.yaml": "entries:\n" + an_entry("also-one", colour="red"),
    }
    found = problems_for(tmp_path, files)
    assert found == [
        "knowledge/entries/also.yaml:6: unknown field 'colour'",
        f"{EXTRA}:6: topic 'nowhere' not found",
        f"{EXTRA}:7: related entry 'gone' not found",
    ]


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    knowledge, problems = read_knowledge(folder)
    assert knowledge is None
    assert problems == [Problem(str(folder), 0, "no .yaml files in the knowledge folder")]


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    knowledge, problems = read_knowledge(folder)
    assert knowledge is None
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{folder}:0: ")
    assert "not found" in problems[0].message


def test_load_knowledge_raises_with_the_first_error_and_a_count(tmp_path: Path) -> None:
    files = {"entries/extra.yaml": "entries:\n" + an_entry(topic="nowhere", related="[gone]")}
    root = write_knowledge(tmp_path / "knowledge", files)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    assert str(caught.value) == f"{EXTRA}:6: topic 'nowhere' not found (and 1 more)"
    assert len(caught.value.problems) == 2


def test_a_copy_of_the_shipped_knowledge_with_one_fault_is_rejected(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, root)
    guides = root / "guides.yaml"
    guides.write_text(
        guides.read_text(encoding="utf-8").replace("entry: sessions-count", "entry: session-count"),
        encoding="utf-8",
    )
    knowledge, problems = read_knowledge(root)
    assert knowledge is None
    assert [p.message for p in problems] == ["entry 'session-count' not found"]
    assert problems[0].file == "knowledge/guides.yaml"


def test_the_fingerprint_changes_when_a_file_changes(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge")
    before = load_knowledge(root).fingerprint
    again = load_knowledge(root).fingerprint
    extra = root / "entries" / "extra.yaml"
    extra.write_text("entries:\n" + an_entry(), encoding="utf-8")
    after = load_knowledge(root).fingerprint
    assert before == again
    assert after != before


# The risk bank (knowledge/risk/)

BANK = """\
    # Self-harm now.
    risk_examples:
      category: self_harm
      kind: crisis
      examples:
        - cut again tonight and it won't stop bleeding
        - burnt my arm on purpose
    """


def test_a_risk_bank_file_loads_with_its_kind_and_category(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path / "knowledge", {"risk/self_harm.yaml": BANK})
    knowledge = load_knowledge(root)
    (bank,) = knowledge.risk_examples
    assert (bank.category, bank.kind, len(bank.examples)) == ("self_harm", "crisis", 2)
    assert knowledge.where("risk_examples", 0, "examples", 1) == (
        "knowledge/risk/self_harm.yaml",
        7,
    )


def test_an_unknown_crisis_category_is_reported_at_its_line(tmp_path: Path) -> None:
    text = BANK.replace("category: self_harm", "category: self_harming")
    assert problems_for(tmp_path, {"risk/x.yaml": text}) == [
        "knowledge/risk/x.yaml:2: riskexamples: crisis category 'self_harming' is not one of: "
        "active_ideation, passive_ideation, overdose_attempt, self_harm, third_party, harm_baby, "
        "harm_others, command_voices, child_at_risk, medical_danger, domestic_abuse"
    ]


def test_a_bank_file_with_an_unknown_kind_or_no_examples_is_reported(tmp_path: Path) -> None:
    wrong_kind = BANK.replace("kind: crisis", "kind: danger")
    no_examples = "risk_examples:\n  category: idioms\n  kind: safe\n  examples: []\n"
    found = problems_for(tmp_path, {"risk/a.yaml": wrong_kind, "risk/b.yaml": no_examples})
    assert found[0].startswith("knowledge/risk/a.yaml:4: kind: Input should be 'crisis'")
    assert found[1].startswith("knowledge/risk/b.yaml:4: examples:")


def test_resources_for_an_unknown_category_are_reported(tmp_path: Path) -> None:
    crisis = (SHIPPED_KNOWLEDGE / "crisis.yaml").read_text(encoding="utf-8")
    crisis = crisis.replace("    domestic_abuse: |-", "    domestic_abuses: |-", 1)
    found = problems_for(tmp_path, {"crisis.yaml": crisis})
    assert any("unknown category 'domestic_abuses'" in line for line in found)


# Hostile YAML: refused at its line, never a traceback, never expanded


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "entries:\n  - id: x\n    question: !Important question\n",
            3,
            "'!Important' (a YAML tag)",
        ),
        ("messages:\n  help: !!int abc\n", 2, "'!!int' (a YAML tag)"),
        ("messages:\n  help: !!timestamp 2024-13-45\n", 2, "'!!timestamp' (a YAML tag)"),
        ("messages: &loop\n  help: *loop\n", 1, "'&loop' (an anchor)"),
        ("messages:\n  help: *nothing\n", 2, "'*nothing' (an alias)"),
    ],
)
def test_tags_anchors_and_aliases_are_problems_at_their_lines(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    found = problems_for(tmp_path, {"entries/hostile.yaml": text})
    assert any(p.startswith(f"knowledge/entries/hostile.yaml:{line}: {problem}") for p in found), (
        found
    )


def test_an_alias_bomb_is_refused_without_being_expanded(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    found = problems_for(tmp_path, {"entries/bomb.yaml": "\n".join(lines) + "\n"})
    assert all(p.startswith("knowledge/entries/bomb.yaml:") for p in found if "bomb" in p)
    assert any("(an alias)" in p for p in found)


def test_quoted_text_that_looks_like_a_tag_is_fine(tmp_path: Path) -> None:
    root = write_knowledge(
        tmp_path / "knowledge",
        {"entries/quoted.yaml": "entries:\n" + an_entry(alternates='["!important question"]')},
    )
    _, problems = read_knowledge(root)
    assert not [p for p in problems if "tag" in p.message]


def test_the_therapy_s_names_from_two_language_files_are_read_together(tmp_path: Path) -> None:
    more = """\
        language:
          names: [dynamic interpersonal therapy]
          plain_name: this therapy
        """
    root = write_knowledge(tmp_path / "knowledge", {"more-language.yaml": more})
    first = "language:\n  names: [dit]\n  synonyms:\n    session: [sessions]\n"
    (root / "language.yaml").write_text(first, encoding="utf-8")
    language = load_knowledge(root).language
    assert sorted(language.names) == ["dit", "dynamic interpersonal therapy"]
    assert language.plain_name == "this therapy"

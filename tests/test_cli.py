"""The `dit-bot` command line: the `ask --json` contract, `check`, `eval`, and clean errors."""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import CONFIG_ENV, TOKEN_ENV
from bot.editing.knowledge_files import load_knowledge
from tests.conftest import REPO_ROOT, SHIPPED_KNOWLEDGE, write_knowledge

CONTRACT_KEYS = {"question", "kind", "text", "id", "confidence", "options"}
KINDS = {"answer", "clarify", "fallback", "crisis", "smalltalk"}


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root with no config, as the README's quick start does."""
    monkeypatch.chdir(REPO_ROOT)
    return REPO_ROOT


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    """A config file whose knowledge folder is the small test one, given relative to it."""
    write_knowledge(tmp_path / "kb")
    config = tmp_path / "config.yaml"
    config.write_text(
        "clinic:\n  name: Riverside\n  contact: Riverside on 01234 567890\nknowledge_dir: kb\n",
        encoding="utf-8",
    )
    return config


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def assert_one_line_error(code: int, out: str, err: str) -> None:
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("dit-bot: error: ")
    assert "Traceback" not in err


# ask --json


def test_ask_json_gives_one_object_per_input_line_in_order(
    in_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = [
        "how many sessions does DIT take?",
        "",
        "can DIT help with grief",
        "i want to kill myself",
        "hi",
        "what's the best pizza topping",
        "can DIT help with bipolar or depression or bereavement",
    ]
    code, out, err = run(["ask", "--json"], capsys, monkeypatch, "\n".join(questions) + "\n")
    assert code == 0
    assert err == ""
    replies = json_lines(out)
    assert [r["question"] for r in replies] == questions
    for reply in replies:
        assert reply.keys() >= CONTRACT_KEYS
        assert reply["kind"] in KINDS
        assert isinstance(reply["text"], str) and reply["text"]
        assert reply["id"] is None or isinstance(reply["id"], str)
        assert isinstance(reply["confidence"], int | float)
        assert 0 <= reply["confidence"] <= 1
        assert isinstance(reply["options"], list)
        if reply["kind"] != "clarify":
            assert reply["options"] == []

    sessions, empty, grief, crisis, hello, pizza, _ = replies
    assert sessions["kind"] == "answer"
    assert "16" in str(sessions["text"])
    assert empty["kind"] in KINDS
    assert empty["id"] is None
    assert grief["kind"] == "answer"
    assert crisis["kind"] == "crisis"
    assert crisis["id"] is None
    assert "116 123" in str(crisis["text"])
    assert hello["kind"] == "smalltalk"
    assert pizza["kind"] == "fallback"
    assert pizza["id"] is None


def test_ask_json_lists_the_offered_entries_when_it_asks_back(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["ask", "--json", "--config", str(small_config), "what happens in the weekly session"]
    code, out, _ = run(argv, capsys, monkeypatch)
    assert code == 0
    [reply] = json_lines(out)
    assert reply["kind"] == "clarify"
    assert reply["id"] is None
    options = reply["options"]
    assert isinstance(options, list)
    assert {o["id"] for o in options} == {"first-session", "last-session"}
    assert {o["question"] for o in options} == {
        "What happens in the first weekly session?",
        "What happens in the last weekly session?",
    }
    # The text is the reply as a person sees it, options included.
    assert "What happens in the first weekly session?" in str(reply["text"])


def test_ask_answers_the_questions_given_as_arguments_and_ignores_stdin(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["ask", "--json", "--config", str(small_config), "hello", "how much does dit cost"]
    code, out, _ = run(argv, capsys, monkeypatch, stdin="can dit help with grief\n")
    assert code == 0
    replies = json_lines(out)
    assert [(r["question"], r["kind"], r["id"]) for r in replies] == [
        ("hello", "smalltalk", "greeting"),
        ("how much does dit cost", "fallback", "nc-cost"),
    ]
    assert "01234 567890" in str(replies[1]["text"])


def test_ask_treats_each_question_on_its_own(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A follow-up on the next line must not lean on the answer before it.
    lines = "how many sessions does dit take\nand can that be changed?\n"
    code, out, _ = run(["ask", "--json", "--config", str(small_config)], capsys, monkeypatch, lines)
    assert code == 0
    assert [r["kind"] for r in json_lines(out)] == ["answer", "clarify"]


def test_ask_without_json_prints_the_replies_as_text(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["ask", "--config", str(small_config), "how many sessions does dit take"]
    code, out, _ = run(argv, capsys, monkeypatch)
    assert code == 0
    assert "DIT is usually offered as a set of 16 sessions." in out
    assert "1. Can the schedule be changed?" in out


def test_ask_handles_windows_line_endings(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = "hello\r\nhow much does dit cost\r\n"
    code, out, _ = run(["ask", "--json", "--config", str(small_config)], capsys, monkeypatch, lines)
    assert code == 0
    assert [r["question"] for r in json_lines(out)] == ["hello", "how much does dit cost"]


# check


def test_check_passes_on_the_shipped_knowledge(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["check", str(SHIPPED_KNOWLEDGE)], capsys, monkeypatch)
    assert code == 0
    assert err == ""
    assert "0 errors" in out


def test_check_uses_the_configured_knowledge_folder(
    in_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["check"], capsys, monkeypatch)
    assert code == 0
    assert "0 errors" in out


def test_check_reports_each_problem_as_file_line_message_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, root)
    (root / "entries" / "broken.yaml").write_text(
        "entries:\n"
        "  - id: broken-one\n"
        "    question: Is this broken?\n"
        "    answer: Yes.\n"
        "    colour: red\n"
        "    related: [nowhere-entry]\n"
        '    source: "x"\n',
        encoding="utf-8",
    )
    (root / "entries" / "bad-yaml.yaml").write_text("entries:\n  - id: [oops\n", encoding="utf-8")
    code, out, err = run(["check", str(root)], capsys, monkeypatch)
    assert code == 1
    lines = out.splitlines()
    assert "knowledge/entries/broken.yaml:5: unknown field 'colour'" in lines
    assert any(
        line.startswith("knowledge/entries/bad-yaml.yaml:3: not valid YAML") for line in lines
    )
    assert "Traceback" not in out + err
    assert "errors" in err


def test_check_reports_a_crisis_example_that_no_pattern_catches_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crisis = (
        "crisis:\n"
        "  reply: Please call 999.\n"
        "  patterns: ['\\bsuicid']\n"
        "  examples:\n"
        "    - I feel suicidal\n"
        "    - I want to hurt myself\n"
        "  not_examples:\n"
        "    - can DIT help with grief?\n"
    )
    root = write_knowledge(tmp_path / "knowledge", {"crisis.yaml": crisis})
    code, out, _ = run(["check", str(root)], capsys, monkeypatch)
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith("knowledge/crisis.yaml:")]
    assert len(problems) == 1
    assert problems[0].startswith("knowledge/crisis.yaml:6: ")
    assert "I want to hurt myself" in problems[0]


def test_check_on_a_missing_folder_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["check", str(tmp_path / "nowhere")], capsys, monkeypatch)
    assert code == 1
    assert f"{tmp_path / 'nowhere'}:0: " in out
    assert "Traceback" not in out + err


# Bad input: one line on stderr, a non-zero exit, no traceback


def test_a_missing_config_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = run(["ask", "--config", str(missing), "hello"], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert "not found" in err
    assert str(missing) in err


def test_a_missing_config_named_by_the_environment_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.yaml"))
    code, out, err = run(["ask", "--json", "hello"], capsys, monkeypatch)
    assert_one_line_error(code, out, err)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clinic:\n  nmae: Riverside\n", "clinic.nmae"),
        ("matching:\n  answer_threshold: 7\n", "matching.answer_threshold"),
        ("colour: blue\n", "colour"),
        ("clinic: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
    ],
)
def test_an_invalid_config_is_one_clear_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    expected: str,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    code, out, err = run(["ask", "--json", "--config", str(config), "hello"], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert expected in err
    assert str(config) in err


@pytest.mark.parametrize("command", ["ask", "chat", "eval"])
def test_an_unreadable_knowledge_folder_is_one_clear_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("knowledge_dir: no-such-folder\n", encoding="utf-8")
    cases = tmp_path / "cases.yaml"
    cases.write_text("- {q: hi, group: chat, kinds: [smalltalk]}\n", encoding="utf-8")
    argv = {"ask": ["ask", "hello"], "chat": ["chat"], "eval": ["eval", str(cases)]}[command]
    code, out, err = run([*argv, "--config", str(config)], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert "no-such-folder" in err


def test_a_broken_knowledge_folder_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_knowledge(tmp_path / "kb", {"entries/bad.yaml": "entries:\n  - id: [oops\n"})
    config = tmp_path / "config.yaml"
    config.write_text("knowledge_dir: kb\n", encoding="utf-8")
    code, out, err = run(["ask", "--config", str(config), "hello"], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert "kb/entries/bad.yaml:" in err
    assert "not valid YAML" in err


def test_an_unreadable_case_file_is_one_clear_line(
    small_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = tmp_path / "no-cases.yaml"
    code, out, err = run(["eval", "--config", str(small_config), str(missing)], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert str(missing) in err


def test_a_case_file_with_a_bad_case_is_one_clear_line(
    small_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {q: hi, group: chat, kinds: [smalltalk]}\n- {q: hi, group: chat, kinds: [shrug]}\n",
        encoding="utf-8",
    )
    code, out, err = run(["eval", "--config", str(small_config), str(cases)], capsys, monkeypatch)
    assert_one_line_error(code, out, err)
    assert "case 2" in err


def test_an_unknown_command_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["frobnicate"], capsys, monkeypatch)
    assert exited.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# eval


def test_eval_prints_per_group_figures_and_the_misses(
    small_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        '- {q: "how many sessions does dit take", group: inscope, kinds: [answer], '
        'match: ["16"]}\n'
        '- {q: "can dit help with grief", group: inscope, kinds: [answer], match: ["zebra"]}\n'
        '- {q: "can dit help with gambling", group: unlisted, kinds: [answer], '
        'match: ["listed"], deny: ["^yes"]}\n'
        '- {q: "i want to die", group: crisis, kinds: [crisis]}\n'
        '- {q: "my phone died", group: control, kinds: [answer, fallback, clarify]}\n'
        '- {q: "hello", group: chat, kinds: [smalltalk]}\n',
        encoding="utf-8",
    )
    code, out, err = run(["eval", "--config", str(small_config), str(cases)], capsys, monkeypatch)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    misses = [line for line in lines if line.startswith("MISS")]
    assert len(misses) == 1
    assert "can dit help with grief" in misses[0]
    assert "zebra" in misses[0]
    summary = lines[-1]
    for figure in (
        "inscope=0.500",
        "unlisted=1.000",
        "crisis=1.000",
        "control=1.000",
        "chat=1.000",
        "crisis_false_positives=0",
        "cases=6",
    ):
        assert figure in summary


def test_eval_counts_a_crisis_reply_to_a_control_as_a_false_positive(
    small_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        '- {q: "I want to kill myself", group: control, kinds: [answer]}\n', encoding="utf-8"
    )
    code, out, _ = run(["eval", "--config", str(small_config), str(cases)], capsys, monkeypatch)
    assert code == 0
    assert "control=0.000" in out
    assert "crisis_false_positives=1" in out


# chat


def test_chat_shows_options_by_number_and_a_number_picks_one(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "how many sessions does dit take\n1\n/topics\n"
    code, out, err = run(["chat", "--config", str(small_config)], capsys, monkeypatch, said)
    assert code == 0
    assert err == ""
    assert "DIT is usually offered as a set of 16 sessions." in out
    assert "  1. Can the schedule be changed?" in out
    # Picking 1 pressed that option: its answer follows.
    assert "The number can be decided with your therapist" in out
    # /topics listed the topics, numbered after the earlier options.
    topics = load_knowledge(small_config.parent / "kb").topics
    label = next(t.label for t in topics if t.id == "sessions")
    assert f". {label}" in out.split("The number can be decided")[-1]


# The installed console script


def test_the_installed_dit_bot_script_speaks_the_ask_json_contract() -> None:
    result = subprocess.run(
        [str(_script()), "ask", "--json"],
        input="how many sessions does DIT take?\n\nI want to end my life\n",
        cwd=REPO_ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    replies = json_lines(result.stdout)
    assert [r["question"] for r in replies] == [
        "how many sessions does DIT take?",
        "",
        "I want to end my life",
    ]
    assert all(r.keys() >= CONTRACT_KEYS and r["kind"] in KINDS for r in replies)
    assert replies[0]["kind"] == "answer"
    assert replies[2]["kind"] == "crisis"


def test_ask_json_gives_the_support_kind_with_the_answer_fields(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "my dad died by suicide last spring, could DIT help me with grieving?"
    code, out, _ = run(["ask", "--json"], capsys, monkeypatch, stdin=question + "\n")
    assert code == 0
    (reply,) = json_lines(out)
    assert reply["kind"] == "support"
    assert reply.keys() >= CONTRACT_KEYS
    assert reply["id"] is not None
    assert "116 123" in str(reply["text"])


def test_check_lists_each_misjudged_bank_example_with_bank(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, summary, _ = run(["check", str(SHIPPED_KNOWLEDGE)], capsys, monkeypatch)
    _, every, _ = run(["check", str(SHIPPED_KNOWLEDGE), "--bank"], capsys, monkeypatch)
    assert "dit-bot check --bank` lists them" in summary
    listed = [line for line in every.splitlines() if "if it were new" in line]
    assert listed, "the bank has examples it misjudges held out"
    assert all(line.startswith("knowledge/risk/") for line in listed)


def _clean_env() -> dict[str, str]:
    """The environment without a config or token the developer may have set."""
    return {k: v for k, v in os.environ.items() if k not in (CONFIG_ENV, TOKEN_ENV)}


def _script() -> Path:
    script = Path(sys.executable).parent / "dit-bot"
    if not script.exists():
        found = shutil.which("dit-bot")
        assert found is not None, "the dit-bot console script is not installed"
        script = Path(found)
    return script


def test_ask_reads_bytes_that_are_not_utf8_as_replacement_characters() -> None:
    result = subprocess.run(
        [str(_script()), "ask", "--json"],
        input=b"how many sessions\n\xff\xfe broken \xc3\n",
        cwd=REPO_ROOT,
        env=_clean_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    replies = json_lines(result.stdout.decode("utf-8"))
    assert [r["question"] for r in replies] == ["how many sessions", "\ufffd\ufffd broken \ufffd"]


def test_ask_answers_each_line_before_reading_the_next() -> None:
    with subprocess.Popen(
        [str(_script()), "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
        env=_clean_env(),
        text=True,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("how many sessions\n")
        process.stdin.flush()
        # stdin is still open: an answer only comes if lines are read one at a time. The
        # bound is generous (start-up included); without it a regression would hang the run.
        ready, _, _ = select.select([process.stdout], [], [], 60)
        if not ready:
            process.kill()
            pytest.fail("no answer while standard input was still open")
        first = json.loads(process.stdout.readline())
        process.stdin.close()
        assert first["question"] == "how many sessions"
        assert process.wait(timeout=60) == 0


def test_chat_takes_a_superscript_digit_as_a_message_not_a_choice(
    small_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["chat", "--config", str(small_config)], capsys, monkeypatch, "\u00b2\n")
    assert code == 0
    assert "Traceback" not in err
    assert out.count("> ") == 2  # the start menu, then a reply to the message "²"

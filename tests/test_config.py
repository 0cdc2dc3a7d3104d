"""The settings file: defaults, paths relative to the file, clear errors, the token from env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import CONFIG_ENV, TOKEN_ENV, Config, ConfigError, Matching, load_config


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_every_setting_has_its_default_and_paths_follow_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.knowledge_dir == tmp_path.resolve() / "knowledge"
    assert config.database == tmp_path.resolve() / "data" / "dit-bot.sqlite3"
    assert config.clinic == Config().clinic
    assert config.matching == Matching()
    assert config.telegram.mode == "polling"
    assert config.admins == ()
    assert config.unanswered_retention_days == 90
    assert config.token() is None


def test_the_default_thresholds_are_consistent() -> None:
    matching = Matching()
    assert 0 < matching.clarify_threshold <= matching.answer_threshold <= 1
    assert 0 <= matching.margin < 1
    assert 2 <= matching.max_options <= 5


def test_an_empty_file_means_all_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing set yet\n"))
    assert config.matching == Matching()
    assert config.clinic == Config().clinic


def test_settings_in_the_file_override_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "clinic:\n"
        "  name: Riverside\n"
        "  contact: Riverside on 01234 567890\n"
        "matching:\n"
        "  answer_threshold: 0.7\n"
        "admins: [42, 7]\n"
        "log_level: DEBUG\n",
    )
    config = load_config(path)
    assert config.clinic.name == "Riverside"
    assert config.clinic.contact == "Riverside on 01234 567890"
    assert config.clinic.referral == Config().clinic.referral
    assert config.matching.answer_threshold == 0.7
    assert config.matching.margin == Matching().margin
    assert config.admins == (42, 7)
    assert config.log_level == "DEBUG"


def test_relative_paths_are_resolved_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        "knowledge_dir: ../kb\ndatabase: state/bot.sqlite3\n",
        name="deploy/config.yaml",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("..") / "deploy" / "config.yaml")
    assert config.knowledge_dir == (tmp_path / "kb").resolve()
    assert config.database == (tmp_path / "deploy" / "state" / "bot.sqlite3").resolve()
    assert path.exists()


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "somewhere" / "knowledge"
    config = load_config(write(tmp_path, f"knowledge_dir: {target}\n", name="cfg/config.yaml"))
    assert config.knowledge_dir == target.resolve()


def test_the_environment_names_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path, "clinic:\n  name: From the env\n")))
    assert load_config().clinic.name == "From the env"


def test_an_unknown_setting_is_rejected_with_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "clinic:\n  name: Riverside\n  phone: 0123\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "clinic.phone" in message
    assert "\n" not in message


def test_an_unknown_top_level_setting_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="knowledge_folder"):
        load_config(write(tmp_path, "knowledge_folder: kb\n"))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("matching:\n  answer_threshold: 1.5\n", "matching.answer_threshold"),
        ("matching:\n  max_options: 9\n", "matching.max_options"),
        ("telegram:\n  mode: carrier-pigeon\n", "telegram.mode"),
        ("unanswered_retention_days: 0\n", "unanswered_retention_days"),
        ("log_level: LOUD\n", "log_level"),
    ],
)
def test_an_invalid_value_is_rejected_naming_the_setting(
    tmp_path: Path, text: str, where: str
) -> None:
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_config(write(tmp_path, text))


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "clinic:\n  name: Riverside\n  contact: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:")
    assert "not valid YAML" in str(caught.value)


def test_a_config_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_a_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_a_config_path_that_is_a_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path)


def test_the_token_comes_from_the_file_when_the_environment_has_none(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "telegram:\n  token: '123:from-file'\n"))
    assert config.token() == "123:from-file"


def test_the_token_environment_variable_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write(tmp_path, "telegram:\n  token: '123:from-file'\n"))
    monkeypatch.setenv(TOKEN_ENV, "456:from-env")
    assert config.token() == "456:from-env"


def test_an_empty_token_environment_variable_falls_back_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "")
    config = load_config(write(tmp_path, "telegram:\n  token: '123:from-file'\n"))
    assert config.token() == "123:from-file"


def test_the_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(ValueError):
        config.log_level = "DEBUG"  # type: ignore[misc]

"""The bot's settings: one YAML file, every setting optional, validated on load."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from bot.core.settings import Clinic, Matching, Section

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
CONFIG_ENV = "DIT_BOT_CONFIG"


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid."""


class Webhook(Section):
    listen: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    url: str | None = None
    path: str = "telegram"
    secret_token: str | None = None


class RateLimit(Section):
    """Flood control (PTB's AIORateLimiter); the defaults are Telegram's published limits."""

    overall_max_rate: float = Field(default=30, ge=0)
    overall_time_period: float = Field(default=1, ge=0)
    group_max_rate: float = Field(default=20, ge=0)
    group_time_period: float = Field(default=60, ge=0)
    # Retries of a request Telegram answered with 429 "retry after N seconds".
    max_retries: int = Field(default=5, ge=0)


class Telegram(Section):
    token: str | None = None
    base_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook: Webhook = Webhook()
    rate_limit: RateLimit = RateLimit()
    # Tries per reply on network errors; a crisis reply gets several times as many.
    send_attempts: int = Field(default=3, ge=1)
    # "typing..." is shown only when a reply takes longer than this (0: always).
    typing_after_seconds: float = Field(default=0.5, ge=0)
    # Updates handled at once (different users); one user's messages are always in order.
    concurrent_updates: int = Field(default=64, ge=1)
    # The HTTP client for Bot API calls: "httpx" (python-telegram-bot's own) or "aiohttp"
    # (less CPU per call; see BENCHMARKS.md).
    http: Literal["httpx", "aiohttp"] = "httpx"
    # Messages one user may have waiting; beyond it the next are skipped (the user is told
    # once), except a crisis, /urgent and /forget, which are always answered.
    backlog: int = Field(default=20, ge=1)
    # Seconds one long-poll getUpdates call waits for news.
    poll_timeout: int = Field(default=30, ge=0)


class Config(Section):
    """Everything the bot can be told; paths are absolute once loaded."""

    clinic: Clinic = Clinic()
    knowledge_dir: Path = Path("knowledge")
    database: Path = Path("data/dit-bot.sqlite3")
    # Sentence vectors of the risk bank and the FAQ phrasings, so a restart does not recompute
    # them. Derived data: safe to delete (the next start rebuilds it, in about 30 seconds).
    cache_dir: Path = Path("data/cache")
    # The sentence encoder, for the crisis check and matching by meaning; off leaves the crisis
    # patterns alone and matches by words alone.
    meaning: bool = True
    # The approved DIT overview as plain text. When set, `dit-bot check` reports every entry
    # whose `source` passage is not found in it (ignoring differences in spaces and quotes).
    seed: Path | None = None
    matching: Matching = Matching()
    telegram: Telegram = Telegram()
    admins: tuple[int, ...] = ()
    unanswered_retention_days: int = Field(default=90, ge=1)
    # A user's state (guide, step, last answer) is deleted after this many days without a message.
    user_retention_days: int = Field(default=365, ge=1)
    reload_interval_seconds: float = Field(default=3.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("admins", mode="before")
    @classmethod
    def _admins_as_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    def token(self) -> str | None:
        """The bot token: the environment wins over the file, so secrets stay out of it."""
        return os.environ.get(TOKEN_ENV) or self.telegram.token


def load_config(path: Path | None = None) -> Config:
    """Read the config file (or defaults when there is none) with paths made absolute.

    Relative paths in a file are resolved against that file's folder; without a file, against
    the current folder, so `dit-bot ask` works from the repository root with no config at all.
    """
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    if path is None:
        return _resolved(Config(), Path.cwd())
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    return _resolved(config, path.resolve().parent)


def _resolved(config: Config, base: Path) -> Config:
    return config.model_copy(
        update={
            "knowledge_dir": (base / config.knowledge_dir).resolve(),
            "database": (base / config.database).resolve(),
            "cache_dir": (base / config.cache_dir).resolve(),
            "seed": (base / config.seed).resolve() if config.seed is not None else None,
        }
    )

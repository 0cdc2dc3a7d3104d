"""What the engine gives back: replies with buttons, and the user's new state.

These are plain values with no transport in them; each adapter (Telegram, the terminal, the
batch commands) decides how to show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """What sort of reply this is. The first six are the `ask --json` contract."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"
    CRISIS = "crisis"
    SMALLTALK = "smalltalk"
    # An answer or fallback to a sensitive message, with a pointer to support under it.
    SUPPORT = "support"
    GUIDE = "guide"
    NOTICE = "notice"


@dataclass(frozen=True)
class Option:
    """A button: the label a person sees and the action it sends back to the engine.

    `action` is short, stable text (for example ``a:sessions-count``) so that it fits in
    Telegram's 64-byte callback data and still means the same after a restart.
    `entry_id` names the entry the option leads to, when it leads to one.
    """

    label: str
    action: str
    entry_id: str | None = None


@dataclass(frozen=True)
class Reply:
    kind: Kind
    text: str
    options: tuple[Option, ...] = ()
    entry_id: str | None = None
    confidence: float = 0.0
    # A reply that continues a guide may replace the message it was pressed on.
    edit: bool = False


@dataclass(frozen=True)
class UserState:
    """All the bot remembers about one person: where they are, never what they wrote."""

    guide_id: str | None = None
    guide_step: int = 0
    last_entry_id: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def evolve(self, **changes: object) -> UserState:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one request: replies in order, and the state to keep."""

    replies: tuple[Reply, ...]
    state: UserState
    # Things the adapter must do beyond sending replies (e.g. "forget" this user).
    effects: frozenset[str] = field(default_factory=frozenset)


def plain_text(reply: Reply) -> str:
    """A reply as a person sees it: the text, then its buttons as numbered choices."""
    lines = [reply.text]
    if reply.options:
        lines.append("")
        lines.extend(f"  {n}. {option.label}" for n, option in enumerate(reply.options, 1))
    return "\n".join(lines)

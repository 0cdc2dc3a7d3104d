"""What a person can do, as the engine sees it: type a message, press a button, send a command.

Button actions are short, stable strings, so that a button keeps working across restarts
and reloads.
"""

from __future__ import annotations

from dataclasses import dataclass

# The command whose effect is to delete everything stored about the person.
FORGET = "forget"

# Button actions are short, stable strings: "a:<entry>", "t:<topic>", "g:<guide>:<step>".
ANSWER_PREFIX = "a:"
TOPIC_PREFIX = "t:"
GUIDE_PREFIX = "g:"
TOPICS = "t"
GUIDE_STOP = "g:stop"
GUIDE_RESUME = "g:resume"
GUIDES = "g:menu"
ASK = "c:ask"
URGENT = "c:urgent"


@dataclass(frozen=True)
class Message:
    """Free text the person typed."""

    text: str


@dataclass(frozen=True)
class Press:
    """A button the person pressed, by its action."""

    action: str


@dataclass(frozen=True)
class Command:
    """A command such as /start, by name without the slash."""

    name: str


Request = Message | Press | Command
COMMANDS = ("start", "help", "topics", "guide", "privacy", "forget", "urgent")

"""The terminal adapter: `dit-bot chat`, the same engine as Telegram, options by number."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.engine import COMMANDS, Command, Engine, Message, Press, Request
from bot.core.replies import Reply, UserState
from bot.core.text import is_plain_number


def plain_text(reply: Reply) -> str:
    """A reply as a person sees it: the text, then its buttons as numbered choices."""
    lines = [reply.text]
    if reply.options:
        lines.append("")
        lines.extend(f"  {n}. {option.label}" for n, option in enumerate(reply.options, 1))
    return "\n".join(lines)


async def chat(engine: Engine, read: Callable[[str], str], write: Callable[[str], None]) -> None:
    """Talk until end of input: a number picks an option, /command runs a command."""
    state = UserState()
    options: tuple[Reply, ...] = ()
    turn = await engine.handle(Command("start"), state)
    while True:
        state = turn.state
        options = turn.replies
        for reply in turn.replies:
            write(plain_text(reply) + "\n")
        try:
            said = read("> ").strip()
        except EOFError:
            return
        turn = await engine.handle(_request(said, options), state)


def _request(said: str, replies: tuple[Reply, ...]) -> Request:
    choices = [option for reply in replies for option in reply.options]
    if is_plain_number(said) and 1 <= int(said) <= len(choices):
        return Press(choices[int(said) - 1].action)
    if said.startswith("/") and said[1:].split(" ")[0].lower() in COMMANDS:
        return Command(said[1:].split(" ")[0].lower())
    return Message(said)

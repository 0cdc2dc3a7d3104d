"""The terminal adapter: `dit-bot chat`, the same service as Telegram, options by number."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.replies import Reply, plain_text
from bot.core.requests import COMMANDS, Command, Message, Press, Request
from bot.core.text import is_plain_number
from bot.service.conversation import Conversation

# The one person at this terminal.
USER_ID = 0


async def chat(
    conversation: Conversation, read: Callable[[str], str], write: Callable[[str], None]
) -> None:
    """Talk until end of input: a number picks an option, /command runs a command.

    Each turn goes through the conversation as a Telegram turn does (state loaded and saved,
    the turn counted), so the terminal shows exactly what the bot would say."""
    request: Request = Command("start")
    while True:
        exchange = await conversation.take(USER_ID, request)
        for reply in exchange.turn.replies:
            write(plain_text(reply) + "\n")
        await conversation.record(exchange)
        try:
            said = read("> ").strip()
        except EOFError:
            return
        request = _request(said, exchange.turn.replies)


def _request(said: str, replies: tuple[Reply, ...]) -> Request:
    choices = [option for reply in replies for option in reply.options]
    if is_plain_number(said) and 1 <= int(said) <= len(choices):
        return Press(choices[int(said) - 1].action)
    if said.startswith("/") and said[1:].split(" ")[0].lower() in COMMANDS:
        return Command(said[1:].split(" ")[0].lower())
    return Message(said)

"""The Telegram adapter: what a person did in Telegram in, the engine's replies shown back.

Each callback turns one kind of update into an engine request, and the rest is shared: the
user's state is loaded, the engine answers, the state is saved (or forgotten), the replies are
sent as plain text with inline buttons. No parse mode is used, so nothing staff or users write
can break a message. One user's updates are handled one at a time and in order; different
users are served concurrently.

Group chats: the bot is for private chats only, so that nobody else sees what a person asks.
When it is added to a group, or a group message reaches it, it says so once ("group_chat")
and leaves the group; from a channel it leaves without a word.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    ChatMember,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.admin import AdminCommands
from bot.adapters.telegram.delivery import Sender, typing_if_slow
from bot.adapters.telegram.intake import FairUpdateProcessor
from bot.adapters.telegram.rendering import (
    describe,
    private_chat,
    request_for,
)
from bot.core.engine import Engine
from bot.core.replies import Kind, Reply
from bot.core.requests import COMMANDS, FORGET, URGENT, Command, Message, Press, Request
from bot.editing.reloader import KnowledgeReloader
from bot.service.conversation import Conversation

if TYPE_CHECKING:
    from bot.service.usage import UsageRecorder

Context = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")

# "typing..." is for one slow reply. With more updates than this in hand it is skipped: under
# load every reply would take over half a second and cost a second Bot API call (measured:
# 0.8 sendChatAction per reply with 50 users at once, a fifth of the bot's CPU).
TYPING_WHEN_AT_MOST = 4
# Seconds a group the bot has left is remembered, so that the rest of a burst from it is
# ignored; if someone adds the bot again later, it explains itself again.
GROUP_MEMORY = 600.0


_LOG = logging.getLogger(__name__)


class TelegramBot:
    """The callbacks, bound to one engine and one store.

    With a recorder every turn is counted and unanswered questions are recorded; with a
    reloader the admins (Telegram user ids) can /reload the knowledge, and are told when
    edited files are broken. /reload, /report and /stats answer admins only.
    """

    def __init__(
        self,
        conversation: Conversation,
        send_attempts: int = 3,
        *,
        recorder: UsageRecorder | None = None,
        reloader: KnowledgeReloader | None = None,
        admins: frozenset[int] = frozenset(),
        typing_after: float = 0.5,
        intake: FairUpdateProcessor | None = None,
    ) -> None:
        self.conversation = conversation
        self.typing_after = typing_after
        self.sender = Sender(send_attempts)
        self.admin = AdminCommands(
            lambda: self.conversation.engine,
            self.sender,
            reloader=reloader,
            recorder=recorder,
            admins=admins,
        )
        # Orders each user's updates and knows how many are in hand; without one (a test of a
        # single callback) nothing is queued, so nothing needs ordering.
        self.intake = intake
        if intake is not None:
            intake.must_answer = self.must_answer
            intake.on_skipped = self.skipped
        # Groups told and left in the last GROUP_MEMORY seconds (by monotonic time), so a burst
        # of group updates gets one notice; forgotten after that, so it never grows for ever.
        self._groups_left: dict[int, float] = {}

    @property
    def engine(self) -> Engine:
        return self.conversation.engine

    # One callback per thing a person can do

    async def command(self, update: Update, context: Context) -> None:
        """/start, /help, /topics, /guide, /privacy, /forget or /urgent: the engine's command
        of that name (/start greets, /forget deletes what is stored, /urgent gives help now)."""
        message = update.effective_message
        if message is not None and message.text:
            await self._respond(update, context, request_for(message.text))

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not have."""
        message = update.effective_message
        if message is not None and message.text:
            await self._respond(update, context, request_for(message.text))

    async def text(self, update: Update, context: Context) -> None:
        """Free text: a question for the engine (which checks it for crisis first)."""
        message = update.effective_message
        if message is not None and message.text is not None:
            await self._respond(update, context, Message(message.text), typing=True)

    async def edited_message(self, update: Update, context: Context) -> None:
        """An edited message is answered again, as if it were new."""
        message = update.effective_message
        said = message.text or message.caption if message is not None else None
        if said:
            await self._respond(update, context, request_for(said), typing=True)

    async def media(self, update: Update, context: Context) -> None:
        """A photo, sticker, voice note...: its caption is read as text, else "text only"."""
        message = update.effective_message
        if message is not None and message.caption:
            await self._respond(update, context, Message(message.caption), typing=True)
            return
        chat = update.effective_chat
        if chat is not None:
            await self.sender.send(context.bot, chat.id, self._notice("not_text"))

    async def button(self, update: Update, context: Context) -> None:
        """A button press: its callback data is the engine action, valid across restarts."""
        query = update.callback_query
        if query is None:
            return
        await _acknowledge(query)
        if query.data:
            await self._respond(update, context, Press(query.data))

    async def group_chat(self, update: Update, context: Context) -> None:
        """Anything from a group or channel: say this is for private chats once, then leave."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.PRIVATE:
            return
        member = update.my_chat_member
        if member is not None and member.new_chat_member.status not in (
            ChatMember.MEMBER,
            ChatMember.ADMINISTRATOR,
            ChatMember.RESTRICTED,
        ):
            return  # the bot was removed, or has just left: nothing to say
        now = time.monotonic()
        self._groups_left = {
            group: at for group, at in self._groups_left.items() if now - at < GROUP_MEMORY
        }
        if chat.id in self._groups_left:
            return
        self._groups_left[chat.id] = now
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            with contextlib.suppress(TelegramError):
                await self.sender.send(context.bot, chat.id, self._notice("group_chat"))
        await context.bot.leave_chat(chat.id)

    async def must_answer(self, update: object) -> bool:
        """Whether an update is answered even when its sender has too many waiting: a crisis
        message, /urgent and /forget are never skipped."""
        if not isinstance(update, Update):
            return False
        if update.callback_query is not None:  # a button: only the one for urgent help
            return update.callback_query.data == URGENT
        message = update.effective_message
        said = (message.text or message.caption) if message is not None else None
        if not said:
            return False
        request = request_for(said)
        if isinstance(request, Command):
            return request.name in ("urgent", FORGET)
        return await self.conversation.is_crisis(said)

    async def skipped(self, update: object) -> None:
        """Tell a user whose messages are being skipped (once per burst) why."""
        if not isinstance(update, Update) or not private_chat(update.effective_chat):
            return
        chat_id = update.effective_chat.id if update.effective_chat else 0
        try:
            await self.sender.send(update.get_bot(), chat_id, self._notice("skipped"))
        except TelegramError:
            _LOG.warning("could not tell chat %s that messages were skipped", chat_id)

    async def error(self, update: object, context: Context) -> None:
        """Log a failure with where it happened, and tell the person if there is one."""
        _LOG.error("failed handling %s", describe(update), exc_info=context.error)
        if not isinstance(update, Update):
            return
        chat = update.effective_chat
        if chat is None or not private_chat(chat):
            return
        try:
            await self.sender.send(context.bot, chat.id, self._notice("error"))
        except TelegramError:
            _LOG.warning("could not tell chat %s about the failure", chat.id, exc_info=True)

    # Setup

    async def set_commands(self, bot: Bot) -> None:
        """Register the command menu, described in the knowledge base's words."""
        commands = [BotCommand(name, self._message(f"command_{name}")) for name in COMMANDS]
        await bot.set_my_commands(commands)

    # The shared path

    async def _respond(
        self, update: Update, context: Context, request: Request, *, typing: bool = False
    ) -> None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None:
            return
        chat_id = chat.id if chat is not None else user.id
        # No "typing" while more of this user's messages wait (the indicator lasts until a
        # reply) or while many updates are in hand: under load it would cost a Bot API call
        # per reply, leaving less CPU and less of the flood limit for the replies themselves.
        typing = typing and not self._crowded(user.id)
        delay = self.typing_after if typing else None
        async with typing_if_slow(context.bot, chat_id, delay):
            exchange = await self.conversation.take(user.id, request)
        turn = exchange.turn
        try:
            await self.sender.show(context.bot, chat_id, update.callback_query, turn.replies)
        except (RetryAfter, NetworkError) as exc:
            # Stopped while retrying: answered after the next start. While running, the
            # attempts are all there is (the person was told of the failure).
            stopping = not self.sender.running() and not isinstance(exc, BadRequest)
            if stopping and self.intake is not None:
                self.intake.answer_later(update)
            raise
        finally:
            # After the replies, so counting never delays them; in the user's turn (the
            # intake handles one update per user at a time), so a clarify is resolved (or
            # not) by what this user does next.
            await self.conversation.record(exchange, edit=update.edited_message is not None)

    def _crowded(self, user_id: int) -> bool:
        intake = self.intake
        return intake is not None and (
            intake.waiting(user_id) > 1 or intake.working > TYPING_WHEN_AT_MOST
        )

    def _message(self, key: str, **values: object) -> str:
        return self.engine.library.knowledge.message(key, self.engine.clinic, **values)

    def _notice(self, key: str) -> Reply:
        return Reply(Kind.NOTICE, self._message(key))


def register(application: AnyApplication, bot: TelegramBot) -> None:
    """Every handler the bot has, in the order they are tried."""
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE & private
    application.add_handler(ChatMemberHandler(bot.group_chat, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS, bot.group_chat))
    application.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POSTS, bot.group_chat))
    application.add_handler(CommandHandler(COMMANDS, bot.command, filters=new))
    # Not in the command menu; from anyone else they fall through to `unknown_command`.
    admin = bot.admin
    admins = filters.User(user_id=sorted(admin.admins))
    for name, callback in {
        "reload": admin.reload,
        "report": admin.report,
        "stats": admin.stats,
    }.items():
        application.add_handler(CommandHandler(name, callback, filters=new & admins))
    application.add_handler(MessageHandler(new & filters.COMMAND, bot.unknown_command))
    application.add_handler(MessageHandler(new & filters.TEXT, bot.text))
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, bot.edited_message)
    )
    application.add_handler(MessageHandler(new & ~filters.StatusUpdate.ALL, bot.media))
    application.add_handler(CallbackQueryHandler(bot.button))
    application.add_error_handler(bot.error)
    bot.sender.running = lambda: application.running


async def _acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner; an old query can no longer be answered, which is fine."""
    try:
        await query.answer()
    except TelegramError as exc:
        _LOG.debug("could not answer callback query %s: %s", query.id, exc)

"""A fake Telegram Bot API server over real HTTP on 127.0.0.1, for end-to-end tests.

The bot reaches it through `telegram.base_url`. Tests put updates in with `message`, `press`,
`photo`... which the bot fetches through `getUpdates` (long polling, like Telegram); every call
the bot makes is recorded in `calls` and answered plausibly. `fail_once(method, retry_after)`
answers the next such call with 429 "Too Many Requests".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "DIT bot",
    "username": "dit_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters PTB sends as JSON inside the form.
_JSON_PARAMS = frozenset({"reply_markup", "commands", "allowed_updates", "scope"})
_TRUE_METHODS = frozenset(
    {
        "deleteWebhook",
        "setWebhook",
        "setMyCommands",
        "sendChatAction",
        "answerCallbackQuery",
        "leaveChat",
        "close",
        "logOut",
    }
)


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.port = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        # Replaced by a fresh event each time it is set: "something changed since you looked".
        self._changed = asyncio.Event()
        self._failures: dict[str, list[int]] = {}
        # method -> (every how many calls, retry_after, calls so far)
        self._periodic: dict[str, tuple[int, int, int]] = {}
        self._delays: dict[str, float] = {}
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._server: HTTPServer | None = None
        self._closing = False

    # Life cycle

    async def start(self) -> None:
        app = Application([(r"/bot([^/]+)/(\w+)", _Handler, {"api": self})])
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    @property
    def url(self) -> str:
        """What `telegram.base_url` should be set to."""
        return f"http://127.0.0.1:{self.port}"

    # Feeding updates

    def message(self, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        """A user's text message; "/name" gets a bot_command entity as Telegram adds one."""
        message = self._user_message(user_id, text=text, **extra)
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._put({"message": message})
        return message

    def photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        size = {"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}
        extra: dict[str, Any] = {"photo": [size]}
        if caption is not None:
            extra["caption"] = caption
        message = self._user_message(user_id, **extra)
        self._put({"message": message})
        return message

    def sticker(self, user_id: int) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        message = self._user_message(user_id, sticker=sticker)
        self._put({"message": message})
        return message

    def edit(self, message: dict[str, Any], text: str) -> None:
        edited = {**message, "text": text, "edit_date": int(time.time())}
        self._put({"edited_message": edited})

    def press(self, user_id: int, sent: Call, data: str) -> None:
        """The user presses a button with `data` on the bot message that `sent` produced."""
        assert data in [d for _, d in sent.buttons], f"{data!r} is not a button of that message"
        message = self._bot_messages[(user_id, int(sent.result["message_id"]))]
        query = {
            "id": str(next(self._callback_ids)),
            "from": _user(user_id),
            "chat_instance": f"ci-{user_id}",
            "data": data,
            "message": message,
        }
        self._put({"callback_query": query})

    def group_message(self, chat_id: int, user_id: int, text: str) -> None:
        message = self._user_message(user_id, text=text)
        message["chat"] = {"id": chat_id, "type": "group", "title": "A group"}
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._put({"message": message})

    def added_to_group(self, chat_id: int, user_id: int) -> None:
        """Someone adds the bot to a group: Telegram sends a my_chat_member update."""
        member = {"status": "member", "user": BOT_USER}
        self._put(
            {
                "my_chat_member": {
                    "chat": {"id": chat_id, "type": "group", "title": "A group"},
                    "from": _user(user_id),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": BOT_USER},
                    "new_chat_member": member,
                }
            }
        )

    def fail_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next `method` call with 429 and this retry_after."""
        self._failures.setdefault(method, []).append(retry_after)

    def fail_every(self, method: str, every: int, retry_after: int = 1) -> None:
        """Answer every `every`-th `method` call with 429 and this retry_after, from now on."""
        self._periodic[method] = (every, retry_after, 0)

    def delay(self, method: str, seconds: float) -> None:
        """Take this long to answer each `method` call (a slow network), from now on."""
        self._delays[method] = seconds

    # Looking at what the bot did

    def sent(self, chat_id: int | None = None, methods: tuple[str, ...] = ()) -> list[Call]:
        """Successful replies (sendMessage and editMessageText), optionally for one chat."""
        wanted = methods or ("sendMessage", "editMessageText")
        return [
            c
            for c in self.calls
            if c.method in wanted and c.status == 200 and (chat_id is None or c.chat_id == chat_id)
        ]

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, done: Callable[[FakeBotApi], bool], within: float = 10.0) -> None:
        """Until `done(self)` holds, re-checked after every call the bot makes."""
        async with asyncio.timeout(within):
            while not done(self):
                await self._changed.wait()

    async def replies(self, chat_id: int, count: int, within: float = 10.0) -> list[Call]:
        """Wait for at least `count` replies in the chat, and return them all."""
        await self.wait_for(lambda api: len(api.sent(chat_id)) >= count, within)
        return self.sent(chat_id)

    # Serving

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self._delays.get(method):
            await asyncio.sleep(self._delays[method])
        retry_after = self._retry_after(method)
        if retry_after is not None:
            self._record(Call(method, params, 429))
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        result = self._result(method, params)
        if isinstance(result, tuple):
            self._record(Call(method, params, result[0]))
            return result
        self._record(Call(method, params, result=result))
        return 200, {"ok": True, "result": result}

    def _retry_after(self, method: str) -> int | None:
        """The retry_after of a 429 this call gets, or None if it is served."""
        if method == "getUpdates":
            return None
        if self._failures.get(method):
            return self._failures[method].pop(0)
        if method in self._periodic:
            every, retry_after, calls = self._periodic[method]
            self._periodic[method] = (every, retry_after, calls + 1)
            if (calls + 1) % every == 0:
                return retry_after
        return None

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in _TRUE_METHODS:
            return True
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": _chat(chat_id),
                "from": BOT_USER,
                "text": params["text"],
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self._bot_messages[(chat_id, message["message_id"])] = message
            return message
        if method == "editMessageText":
            key = (int(params["chat_id"]), int(params["message_id"]))
            old = self._bot_messages.get(key)
            if old is None:
                return _error(400, "Bad Request: message to edit not found")
            markup = params.get("reply_markup")
            if old["text"] == params["text"] and old.get("reply_markup") == markup:
                return _error(400, "Bad Request: message is not modified")
            new = {**old, "text": params["text"], "edit_date": int(time.time())}
            new.pop("reply_markup", None)
            if markup:
                new["reply_markup"] = markup
            self._bot_messages[key] = new
            return new
        return _error(404, "Not Found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        timeout = float(params.get("timeout", 0))
        limit = int(params.get("limit", 100))
        # Telegram forgets updates below the offset: they have been confirmed.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            try:
                async with asyncio.timeout(timeout):
                    while not self._updates and not self._closing:
                        await self._changed.wait()
            except TimeoutError:
                pass
        return [u for u in self._updates if u["update_id"] >= offset][:limit]

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _put(self, update: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        self._notify()

    def _user_message(self, user_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(user_id),
            "from": _user(user_id),
            **content,
        }


class _Handler(RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        if token != self.api.token:
            status, body = _error(401, "Unauthorized")
        else:
            status, body = await self.api.handle(method, self._params())
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def _params(self) -> dict[str, Any]:
        body = self.request.body.decode()
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            return dict(json.loads(body)) if body else {}
        params: dict[str, Any] = dict(parse_qsl(body, keep_blank_values=True))
        for key in _JSON_PARAMS & params.keys():
            params[key] = json.loads(params[key])
        return params

    def log_exception(self, *args: Any) -> None:  # a client gone mid-poll is not an error
        pass


def _error(code: int, description: str) -> tuple[int, dict[str, Any]]:
    return code, {"ok": False, "error_code": code, "description": description}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}

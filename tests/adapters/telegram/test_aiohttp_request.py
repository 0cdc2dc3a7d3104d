"""The aiohttp Bot API client keeps python-telegram-bot's request contract: answers, files,
timeouts and network failures come back as PTB's HTTPXRequest gives them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

# How PTB itself builds the parameters of a call (not exported: a test may reach in).
from telegram.request._requestparameter import RequestParameter

from bot.adapters.telegram.aiohttp_request import AiohttpRequest
from bot.bootstrap import build_engine
from bot.config import Config
from tests.fake_bot_api import FakeBotApi
from tests.running_bot import config_for, running

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A small HTTP server: /echo returns what it was sent, /slow never answers in time."""

    async def echo(request: web.Request) -> web.Response:
        if request.content_type.startswith("multipart/"):
            fields: dict[str, Any] = {}
            async for part in await request.multipart():
                body = await part.read()  # type: ignore[union-attr]
                fields[part.name or ""] = {"filename": part.filename, "size": len(body)}  # type: ignore[union-attr]
        else:
            fields = dict(await request.post())
        agent = request.headers.get("User-Agent", "")
        return web.json_response({"fields": fields, "agent": agent}, status=201)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    app = web.Application()
    app.add_routes([web.post("/echo", echo), web.post("/slow", slow)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_form_fields_go_out_and_the_status_and_body_come_back(
    client: AiohttpRequest, server: str
) -> None:
    data = RequestData(
        [RequestParameter.from_input("chat_id", 42), RequestParameter.from_input("text", "héllo ✓")]
    )
    status, body = await client.do_request(f"{server}/echo", "POST", data)
    answer = json.loads(body)
    assert status == 201
    assert answer["fields"] == {"chat_id": "42", "text": "héllo ✓"}
    assert answer["agent"].startswith("python-telegram-bot")


async def test_a_file_goes_out_as_multipart(client: AiohttpRequest, server: str) -> None:
    document = InputFile(BytesIO(b"x" * 1000), filename="notes.txt")
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("document", document),
        ]
    )
    status, body = await client.do_request(f"{server}/echo", "POST", data)
    fields = json.loads(body)["fields"]
    assert status == 201
    assert fields["document"] == {"filename": "notes.txt", "size": 1000}


async def test_no_answer_in_time_is_timed_out(client: AiohttpRequest, server: str) -> None:
    with pytest.raises(TimedOut):
        await client.do_request(f"{server}/slow", "POST")


async def test_nobody_listening_is_a_network_error(client: AiohttpRequest) -> None:
    with pytest.raises(NetworkError, match="aiohttp"):
        await client.do_request("http://127.0.0.1:9/nothing", "POST")


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/", "POST")


async def test_the_bot_converses_over_aiohttp(
    api: FakeBotApi, tmp_path: Path, telegram_token: None
) -> None:
    engine = build_engine(Config(knowledge_dir=KNOWLEDGE))
    config = config_for(api, KNOWLEDGE, tmp_path / "bot.sqlite3")
    config = config.model_copy(
        update={"telegram": config.telegram.model_copy(update={"http": "aiohttp"})}
    )
    async with running(config, engine):
        api.message(7, "/start")
        api.message(7, "how many sessions is it")
        replies = await api.replies(7, 2)
    assert replies[0].text == engine.library.knowledge.message("start", engine.clinic)
    assert "16" in replies[1].text

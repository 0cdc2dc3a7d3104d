"""Killed mid-burst (SIGKILL, with Telegram throttling sends), the bot loses no message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_engine
from bot.config import Config
from tests.crash_burst import ROOT, burst_kill_restart
from tests.fake_bot_api import FakeBotApi


@pytest.fixture(scope="module", autouse=True)
def warm_cache() -> None:
    """Encode the risk bank into the shared cache first, so each start takes a second."""
    build_engine(Config(knowledge_dir=ROOT / "knowledge", cache_dir=ROOT / "data" / "cache"))


async def test_every_message_of_a_burst_is_answered_after_a_sigkill_and_a_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    outcome = await burst_kill_restart(api, tmp_path)
    assert outcome.replied_before_kill < outcome.messages, "the kill came after the burst"
    assert outcome.lost == 0, outcome
    # A reply may be sent again only if the kill came between sending it and marking it done.
    assert outcome.duplicates <= 64, outcome

"""Getting replies through: retries over network errors and flood waits, bounded."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import delivery
from bot.core.replies import Kind, Reply


class _Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "RETRY_BACKOFF_SECONDS", 0.0)


async def test_network_errors_and_flood_waits_are_retried() -> None:
    call = _Flaky(NetworkError("reset"), TimedOut(), RetryAfter(0))
    assert await delivery.deliver(call, 4) == "sent"
    assert call.calls == 4


async def test_retries_are_bounded() -> None:
    call = _Flaky(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        await delivery.deliver(call, 3)
    assert call.calls == 3


async def test_a_bad_request_is_not_retried() -> None:
    call = _Flaky(BadRequest("chat not found"))
    with pytest.raises(BadRequest):
        await delivery.deliver(call, 3)
    assert call.calls == 1


def test_a_crisis_reply_gets_more_attempts() -> None:
    sender = delivery.Sender(send_attempts=3)
    crisis = sender.attempts(Reply(Kind.CRISIS, "x"))
    assert crisis > sender.attempts(Reply(Kind.ANSWER, "x")) == 3

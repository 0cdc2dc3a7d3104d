"""The intake: updates kept before they are queued, and one line per user in front of the
workers, so that one user's burst never holds a slot another user needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message, Update, User

from bot.adapters.sqlite.inbox import Inbox
from bot.adapters.sqlite.store import SqliteStore
from bot.adapters.telegram.intake import DurableUpdateQueue, FairUpdateProcessor, replay

_ids = iter(range(1, 1_000_000))


def update(user_id: int, text: str = "hello") -> Update:
    message = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(user_id, Chat.PRIVATE),
        from_user=User(user_id, "Someone", is_bot=False),
        text=text,
    )
    return Update(next(_ids), message=message)


@pytest.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[Inbox]:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    yield Inbox(store)
    await store.close()


class Handlers:
    """Stand-ins for PTB's handling of each update: they wait until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    async def handle(self, item: Update) -> None:
        text = item.effective_message.text if item.effective_message else ""
        assert text
        self.started.append(text)
        await self.release.setdefault(text, asyncio.Event()).wait()
        self.finished.append(text)

    def let_go(self, *texts: str) -> None:
        for text in texts:
            self.release.setdefault(text, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_another_user_is_served_while_one_user_has_a_long_line() -> None:
    intake = FairUpdateProcessor(workers=2, backlog=100)
    handlers = Handlers()
    flood = [update(1, f"a{n}") for n in range(50)]
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in flood]
    other = update(2, "b")
    tasks.append(asyncio.create_task(intake.process_update(other, handlers.handle(other))))
    await settle()
    # User 1's first message is in hand and 49 wait behind it, holding no worker: user 2's
    # message got the second worker at once.
    assert handlers.started == ["a0", "b"]
    assert intake.waiting(1) == 50
    handlers.let_go("b", *(f"a{n}" for n in range(50)))
    await asyncio.gather(*tasks)
    assert handlers.finished.index("b") < 2


async def test_one_users_updates_are_handled_one_at_a_time_in_order() -> None:
    intake = FairUpdateProcessor(workers=8, backlog=100)
    handlers = Handlers()
    burst = [update(1, f"m{n}") for n in range(5)]
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in burst]
    await settle()
    assert handlers.started == ["m0"]
    handlers.let_go("m0", "m1", "m2", "m3", "m4")
    await asyncio.gather(*tasks)
    assert handlers.finished == ["m0", "m1", "m2", "m3", "m4"]
    assert intake.waiting(1) == 0


async def test_past_the_backlog_messages_are_skipped_and_told_once_but_never_a_crisis() -> None:
    intake = FairUpdateProcessor(workers=4, backlog=2)
    handlers = Handlers()
    told: list[int] = []

    async def must_answer(item: object) -> bool:
        return isinstance(item, Update) and item.effective_message.text == "crisis"  # type: ignore[union-attr]

    async def on_skipped(item: object) -> None:
        assert isinstance(item, Update) and item.effective_user is not None
        told.append(item.effective_user.id)

    intake.must_answer, intake.on_skipped = must_answer, on_skipped
    burst = [update(1, text) for text in ("m0", "m1", "m2", "m3", "crisis", "m5")]
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in burst]
    await settle()
    handlers.let_go("m0", "m1", "crisis")
    await asyncio.gather(*tasks)
    assert handlers.finished == ["m0", "m1", "crisis"]
    assert told == [1]


async def test_every_handled_or_skipped_update_is_marked_done(inbox: Inbox) -> None:
    intake = FairUpdateProcessor(workers=1, backlog=1, inbox=inbox)
    handlers = Handlers()
    updates = [update(1, "kept"), update(1, "skipped")]
    for item in updates:
        await inbox.admit(item.update_id, item.to_json(), user_id=1)
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in updates]
    await settle()
    handlers.let_go("kept", "skipped")
    await asyncio.gather(*tasks)
    assert handlers.finished == ["kept"]
    assert await inbox.count() == (0, 2)


async def test_the_queue_keeps_each_update_before_queueing_it_and_drops_a_resend(
    inbox: Inbox,
) -> None:
    queue = DurableUpdateQueue(inbox)
    item = update(1)
    await queue.put(item)
    await queue.put(item)  # Telegram sending it again after a crash
    assert queue.qsize() == 1
    assert await inbox.count() == (1, 0)


async def test_after_a_crash_what_was_not_done_is_queued_again_in_order(inbox: Inbox) -> None:
    before = DurableUpdateQueue(inbox)
    updates = [update(1, "first"), update(2, "second"), update(1, "third")]
    for item in updates:
        await before.put(item)
    await inbox.done(updates[1].update_id)

    after = DurableUpdateQueue(inbox)  # a new process, the same database
    assert await replay(inbox, after, bot=None) == 2
    queued = [after.get_nowait() for _ in range(after.qsize())]
    assert [u.effective_message.text for u in queued if isinstance(u, Update)] == [  # type: ignore[union-attr]
        "first",
        "third",
    ]


async def test_a_polled_batch_is_kept_in_one_go_before_the_next_poll_confirms_it(
    inbox: Inbox,
) -> None:
    queue = DurableUpdateQueue(inbox, batched=True)
    batch = [update(1, "first"), update(2, "second")]
    for item in batch:
        await queue.put(item)
    # Held, not yet queued nor kept: Telegram has not been told of them yet either.
    assert (queue.qsize(), await inbox.count()) == (0, (0, 0))
    await queue.flush()  # what the next getUpdates call does first
    assert (queue.qsize(), await inbox.count()) == (2, (2, 0))
    await queue.put(batch[0])  # sent again after a crash
    await queue.flush()
    assert queue.qsize() == 2


async def test_a_flush_cut_short_still_keeps_and_queues_its_batch_before_the_next_poll(
    inbox: Inbox,
) -> None:
    queue = DurableUpdateQueue(inbox, batched=True)
    for item in (update(1, "first"), update(2, "second")):
        await queue.put(item)
    async with inbox.store.writing():  # a turn's write holds the database for a moment
        flushing = asyncio.create_task(queue.flush())
        await settle()
        flushing.cancel()  # PTB cancels the poller when polling stops
    await queue.flush()  # the stop's last getUpdates, which confirms the batch
    assert (queue.qsize(), await inbox.count()) == (2, (2, 0))


async def test_slow_screening_past_the_backlog_does_not_reorder_a_users_line() -> None:
    intake = FairUpdateProcessor(workers=4, backlog=2)
    handlers = Handlers()
    screening = asyncio.Event()

    async def must_answer(item: object) -> bool:
        await screening.wait()  # a crisis check that takes a while
        return True

    intake.must_answer = must_answer
    burst = [update(1, text) for text in ("a", "b", "c")]
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in burst]
    await settle()
    handlers.let_go("a", "b")  # the line shortens while "c" is being screened
    await settle()
    late = update(1, "d")  # arrives after, finds a short line, needs no screening
    tasks.append(asyncio.create_task(intake.process_update(late, handlers.handle(late))))
    await settle()
    screening.set()
    handlers.let_go("c", "d")
    await asyncio.gather(*tasks)
    assert handlers.finished == ["a", "b", "c", "d"]


async def test_an_update_whose_screening_fails_is_answered() -> None:
    intake = FairUpdateProcessor(workers=4, backlog=1)
    handlers = Handlers()

    async def broken(item: object) -> bool:
        raise RuntimeError("the crisis check failed")

    intake.must_answer = broken
    burst = [update(1, "first"), update(1, "maybe a crisis")]
    tasks = [asyncio.create_task(intake.process_update(u, handlers.handle(u))) for u in burst]
    await settle()
    handlers.let_go("first", "maybe a crisis")
    await asyncio.gather(*tasks)
    assert handlers.finished == ["first", "maybe a crisis"]

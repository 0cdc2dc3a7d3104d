"""Live reload: the running bot notices edited knowledge files and serves them, if they are valid.

The reloader polls the knowledge folder every `reload_interval_seconds`: first the cheap
signature (which files there are, their sizes and modification times), then, when that has
moved, a hash of their contents. A new version is validated exactly as `dit-bot check` does
for errors (the loader's `file:line` problems, and the crisis examples). A valid version is
built into a new `Library` and swapped into the engine with one reference assignment, so every
request sees either the old knowledge base or the new one, never a mix; user state is not
touched. An invalid version is not served: the last good one stays, each problem is logged as
`file:line: message`, and the admins are told once per distinct broken version.

A file caught half-written is just an invalid version for a moment: if the files change while
they are read, the result is thrown away; and a broken version is only reported once it has
stayed the same for one more poll, so an editor's save in progress never alarms anyone. The
next poll reads the finished file. An admin's /reload takes the same path at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.core.engine import Engine
from bot.core.library import Library
from bot.core.settings import Matching
from bot.editing.crisis_checks import crisis_examples, unbounded_patterns
from bot.editing.knowledge_files import read_knowledge
from bot.editing.yaml_reading import Problem
from bot.service.background import BackgroundTask

_LOG = logging.getLogger(__name__)

# Which files there are, with their size and modification time: cheap to take every poll.
Signature = tuple[tuple[str, int, int], ...]


class Status(StrEnum):
    LOADED = "loaded"  # a new version is being served
    UNCHANGED = "unchanged"  # what is on disk is what is served (or is still the known broken)
    INVALID = "invalid"  # the files on disk have errors; the last good version is served
    CHANGING = "changing"  # the files changed while being read; they are read again next time


@dataclass(frozen=True)
class Reload:
    """What one look at the knowledge folder found."""

    status: Status
    # Hash of the files' contents ("" when they could not be read at all).
    version: str = ""
    # The errors that keep an invalid version out (warnings are for `dit-bot check`).
    problems: tuple[Problem, ...] = ()
    # Entries now served (after LOADED or UNCHANGED).
    entries: int = 0
    # For INVALID: this broken version is reported now, for the first time; tell the admins.
    new: bool = False


BrokenHandler = Callable[[Reload], Awaitable[None]]


@dataclass(frozen=True)
class _Broken:
    """An invalid version seen on disk, and whether it has been logged and reported."""

    version: str
    problems: tuple[Problem, ...]
    reported: bool = False


@dataclass(frozen=True)
class _Attempt:
    """The outcome of reading and validating one version, away from the event loop."""

    version: str
    library: Library | None
    problems: tuple[Problem, ...]
    moved: bool  # the files changed while being read


class KnowledgeReloader:
    """Keeps the engine's library in step with the knowledge folder."""

    def __init__(
        self,
        engine: Engine,
        root: Path,
        matching: Matching,
        interval: float = 3.0,
        on_broken: BrokenHandler | None = None,
    ) -> None:
        self.engine = engine
        self.root = root
        self.matching = matching
        self.interval = interval
        self.on_broken = on_broken
        # The version served (the hash `read_knowledge` took of the files it was built from).
        self.version = engine.library.knowledge.fingerprint
        # None: the first look hashes the files, in case they changed since the engine loaded.
        self._signature: Signature | None = None
        self._broken: _Broken | None = None
        self._lock = asyncio.Lock()
        self._background = BackgroundTask("reloader", self._watch)
        # How many polls have finished: lets tests wait for "the next look" without timing.
        self.polls = 0
        self.last: Reload | None = None

    # Life cycle

    def start(self) -> None:
        """Poll in the background until `stop` (call from a running event loop)."""
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    @property
    def watching(self) -> bool:
        return self._background.running

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                result = await self.refresh()
                if result.status is Status.INVALID and result.new and self.on_broken:
                    await self.on_broken(result)
            except Exception:
                # Whatever went wrong, the bot goes on serving and the next poll tries again.
                _LOG.exception("checking the knowledge folder %s failed", self.root)
            finally:
                self.polls += 1

    # Looking

    async def refresh(self, force: bool = False) -> Reload:
        """Look at the folder and load a new valid version; `force` is /reload.

        Without `force` an unchanged signature is not looked into further, and a broken
        version is reported (`new`) only when it is seen unchanged a second time. With
        `force` the contents are always hashed, and a broken version is reported at once.
        """
        async with self._lock:
            result = await self._refresh(force)
        self.last = result
        return result

    async def _refresh(self, force: bool) -> Reload:
        entries = len(self.engine.library.knowledge.entries)
        before = await asyncio.to_thread(signature, self.root)
        if before == self._signature and self._broken is None and not force:
            return Reload(Status.UNCHANGED, self.version, entries=entries)
        version = await asyncio.to_thread(content_version, self.root)
        if version == self.version:
            self._signature, self._broken = before, None
            return Reload(Status.UNCHANGED, version, entries=entries)
        if self._broken is not None and self._broken.version == version:
            # Seen before. Now that it has stayed the same for a poll, it is no save in progress.
            self._signature = before
            if self._broken.reported:
                return Reload(Status.INVALID, version, self._broken.problems, entries)
            return self._report(self._broken)

        attempt = await asyncio.to_thread(self._attempt, version, before)
        if attempt.moved:
            _LOG.info("knowledge files changed while being read; reading them again shortly")
            return Reload(Status.CHANGING, version, entries=entries)
        self._signature = before
        if attempt.library is None:
            self._broken = _Broken(version, attempt.problems)
            if force:
                return self._report(self._broken)
            return Reload(Status.INVALID, version, attempt.problems, entries)
        # The one moment the new knowledge becomes visible: a single reference assignment.
        self.engine.replace_library(attempt.library)
        self.version, self._broken = version, None
        entries = len(attempt.library.knowledge.entries)
        _LOG.info("knowledge reloaded from %s: %d entries", self.root, entries)
        return Reload(Status.LOADED, version, entries=entries)

    def _report(self, broken: _Broken) -> Reload:
        """Log a broken version's problems, once, and mark it reported."""
        _LOG.error(
            "the knowledge in %s has %d error(s); still serving the last good version",
            self.root,
            len(broken.problems),
        )
        for problem in broken.problems:
            _LOG.error("%s", problem)
        self._broken = _Broken(broken.version, broken.problems, reported=True)
        entries = len(self.engine.library.knowledge.entries)
        return Reload(Status.INVALID, broken.version, broken.problems, entries, new=True)

    def _attempt(self, version: str, before: Signature) -> _Attempt:
        """Read, validate and build (in a worker thread: nothing shared is changed here)."""
        library: Library | None = None
        knowledge, found = read_knowledge(self.root)
        problems = [p for p in found if p.severity == "error"]
        if knowledge is not None:
            try:
                library = Library.build(knowledge, self.matching, self.engine.library.embeddings)
                problems += unbounded_patterns(knowledge)
                problems += crisis_examples(knowledge, library.detector)
            except Exception as exc:  # a knowledge base that loads but cannot be served
                _LOG.exception("building the knowledge from %s failed", self.root)
                problems.append(Problem(str(self.root), 0, f"cannot be served: {exc}"))
        # What was read must be the version hashed, and nothing may have moved since.
        read = knowledge.fingerprint if knowledge is not None else content_version(self.root)
        moved = read != version or signature(self.root) != before
        return _Attempt(version, None if problems else library, tuple(sorted(problems)), moved)


def _files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.rglob("*.y*ml") if p.is_file())
    except OSError:
        return []


def signature(root: Path) -> Signature:
    """The knowledge files with their size and modification time (nanoseconds)."""
    found = []
    for path in _files(root):
        try:
            stat = path.stat()
        except OSError:
            continue  # deleted between listing and looking: the next poll sees it gone
        found.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def content_version(root: Path) -> str:
    """A hash of every knowledge file's name and contents: `KnowledgeBase.fingerprint`.

    Computed as `bot.editing.knowledge_files.read_knowledge` does, so that a version on disk can be
    compared with the one being served without loading it.
    """
    digest = hashlib.sha256()
    base = root.parent if root.parent != root else root
    for path in _files(root):
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # unreadable: read_knowledge reports it, and leaves it out of the hash
        try:
            name = str(path.relative_to(base))
        except ValueError:
            name = str(path)
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return digest.hexdigest()

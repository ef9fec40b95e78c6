"""LiveKit-shaped fakes for running agent entrypoints without a LiveKit server.

This module has no OpenTelemetry side effects: it is imported by ``conftest.py``
(which owns the in-memory providers) and, by file path, by the OTLP smoke
child process (which installs its own OTLP providers).

The job lifecycle mirrors livekit-agents 1.8.9
(``livekit/agents/ipc/job_proc_lazy_main.py``: ``_run_job_task`` / ``_shutdown_job``):

* the entrypoint runs in its own task;
* when it finished (returned *or* raised), the shutdown callbacks registered
  through ``ctx.add_shutdown_callback`` run concurrently (``asyncio.gather``),
  each called with the shutdown reason;
* when the entrypoint raised, the reason is ``"job crashed"``;
* ``add_shutdown_callback`` keeps callbacks whose
  ``__code__.co_argcount >= (2 if inspect.ismethod(cb) else 1)`` and wraps
  zero-argument ones so they are still called with the reason.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import itertools
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

JOB_CRASHED = "job crashed"
DEFAULT_REASON = "room disconnected"
DEFAULT_METADATA = json.dumps({"tenant_id": "acme", "user_id": "u-42"})
DEFAULT_ROOM = "support-room-7"

_module_counter = itertools.count()


class FakeParticipant:
    def __init__(self, identity: str) -> None:
        self.identity = identity


class FakeRoom:
    def __init__(self, name: str) -> None:
        self.name = name
        self.connected = False

    @property
    def local_participant(self) -> FakeParticipant:
        # livekit.rtc.Room raises the same before the room is connected
        if not self.connected:
            raise Exception("cannot access local participant before connecting")
        return FakeParticipant("agent-1")


class FakeJob:
    """The ``ctx.job`` protobuf stand-in: ``id``, ``metadata`` (JSON str), ``room``."""

    def __init__(self, job_id: str, metadata: str, room: FakeRoom) -> None:
        self.id = job_id
        self.metadata = metadata
        self.room = room


class FakeProc:
    def __init__(self, userdata: dict) -> None:
        self.userdata = userdata


class FakeSession:
    """Minimal stand-in for an AgentSession: records what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[str] = []

    async def say(self, text: str, **kwargs: Any) -> None:
        await asyncio.sleep(0)  # yield like real I/O would
        self.said.append(text)


class FakeJobContext:
    """Follows the parts of ``livekit.agents.JobContext`` the fixtures use."""

    def __init__(
        self,
        metadata: str = DEFAULT_METADATA,
        room_name: str = DEFAULT_ROOM,
        job_id: str = "AJ_fake123",
        userdata: dict | None = None,
    ) -> None:
        self.room = FakeRoom(room_name)
        self.job = FakeJob(job_id, metadata, FakeRoom(room_name))
        if userdata is None:
            userdata = {"session": FakeSession(), "log": []}
        self.proc = FakeProc(userdata)
        self.connect_calls: list[tuple[tuple, dict]] = []
        self._shutdown_callbacks: list[Callable[[str], Awaitable[None]]] = []
        self.shutdown_reason: str | None = None
        self.shutdown_callback_errors: list[BaseException] = []

    @property
    def session(self) -> FakeSession:
        return self.proc.userdata["session"]

    @property
    def log(self) -> list:
        return self.proc.userdata["log"]

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        self.connect_calls.append((args, kwargs))
        self.room.connected = True

    def add_shutdown_callback(self, callback: Callable[..., Awaitable[None]]) -> None:
        # same rule as livekit/agents/job.py JobContext.add_shutdown_callback
        min_args_num = 2 if inspect.ismethod(callback) else 1
        if callback.__code__.co_argcount >= min_args_num:
            self._shutdown_callbacks.append(callback)
        else:

            async def wrapper(_: str) -> None:
                await callback()

            wrapper.__name__ = getattr(callback, "__name__", wrapper.__name__)
            self._shutdown_callbacks.append(wrapper)

    @property
    def shutdown_callbacks(self) -> list:
        return list(self._shutdown_callbacks)


async def run_job_async(
    entrypoint: Callable[[Any], Awaitable[Any]],
    ctx: FakeJobContext,
    reason: str = DEFAULT_REASON,
    before_shutdown: Callable[[], Any] | None = None,
    crash_reason: str = JOB_CRASHED,
) -> tuple[Any, BaseException | None]:
    """Run ``entrypoint(ctx)`` then its shutdown callbacks, like livekit does.

    ``before_shutdown`` (sync or async) runs after the entrypoint finished and
    before any shutdown callback: the hook tests use to observe the state
    "entrypoint returned, job not shut down yet". ``crash_reason`` is the reason
    given when the entrypoint raised: livekit's ``"job crashed"``, unless the
    room disconnected first (then that reason won the race, and is passed).
    """
    task = asyncio.create_task(entrypoint(ctx), name="job_user_entrypoint")
    result: Any = None
    error: BaseException | None = None
    try:
        result = await task
    except Exception as exc:  # noqa: BLE001 -- the framework logs it and shuts down with "job crashed"
        error = exc
        reason = crash_reason
    ctx.shutdown_reason = reason

    if before_shutdown is not None:
        maybe = before_shutdown()
        if inspect.isawaitable(maybe):
            await maybe

    tasks = [
        asyncio.create_task(cb(reason), name="job_shutdown_callback")
        for cb in ctx.shutdown_callbacks
    ]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    # livekit logs these and carries on; we keep them so tests can assert none happened
    ctx.shutdown_callback_errors = [o for o in outcomes if isinstance(o, BaseException)]
    return result, error


def run_job(
    entrypoint: Callable[[Any], Awaitable[Any]],
    ctx: FakeJobContext,
    reason: str = DEFAULT_REASON,
    before_shutdown: Callable[[], Any] | None = None,
    crash_reason: str = JOB_CRASHED,
) -> tuple[Any, BaseException | None]:
    """Synchronous wrapper: a fresh event loop per job. Returns (result, exception)."""
    return asyncio.run(run_job_async(entrypoint, ctx, reason, before_shutdown, crash_reason))


def load_module_from_path(path: str | Path, label: str = "agent"):
    """Import a fixture file under a fresh, unique module name (and thus meter/tracer scope)."""
    path = Path(path)
    name = f"vof_runtime_{label}_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module

"""Request-scoped dependencies: settings, one database session per request, the road network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from anyio import to_thread
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from dispatch.db import engine_for, session_scope
from dispatch.roads import get_network
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

T = TypeVar("T")


async def get_settings(request: Request) -> Settings:  # async: no thread-pool hop for a lookup
    return request.app.state.settings


class _UnitOfWork:
    """A request's transaction: ended once, in a worker thread, by whoever ends it first."""

    def __init__(self, scope) -> None:
        self.scope = scope
        self.before_commit: list[Callable[[], None]] = []
        self.done = False

    def finish(self, exc: BaseException | None = None) -> None:
        """Commit (after the ``before_commit`` work), or roll back when ``exc`` is given; close. Blocking.
        Raises what fails here (a ``before_commit`` work, the commit), never ``exc`` itself."""
        if self.done:
            return
        self.done = True
        if exc is not None:
            self._rollback(exc)
            return
        try:
            for work in self.before_commit:
                work()
        except BaseException as failed:
            self._rollback(failed)
            raise
        self.scope.__exit__(None, None, None)  # commit (a failed commit rolls back and raises)

    def _rollback(self, exc: BaseException) -> None:
        # session_scope rolls back, closes and re-raises ``exc``, which __exit__ reports by returning False.
        self.scope.__exit__(type(exc), exc, exc.__traceback__)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The one place where a request's unit of work is committed or rolled back.

    Async so that a request costs as few thread-pool hops as possible (each is ~0.15 ms of CPU and a GIL
    hand-over): opening the session does no I/O (the connection is taken at its first statement, in the thread
    that runs the endpoint). The end of the unit of work (the ``before_commit`` work such as the audit entry,
    then commit or rollback, then close) is one hop after the endpoint; a hot endpoint ends it in its own hop
    with ``in_unit_of_work``, so that no row lock is held while the commit waits for its turn in the loop."""
    settings: Settings = request.app.state.settings
    scope = session_scope(engine_for(settings.database_url))
    session = scope.__enter__()
    uow = request.state.unit_of_work = _UnitOfWork(scope)
    try:
        yield session
    except BaseException as exc:
        if not uow.done:
            await to_thread.run_sync(uow.finish, exc)
        raise
    if not uow.done:
        await to_thread.run_sync(uow.finish)
    elif session.in_transaction():  # a programming error: nothing may be written after the commit
        await to_thread.run_sync(session.close)  # rolls the stray transaction back
        raise RuntimeError("the request used its database session after in_unit_of_work committed it")


async def in_unit_of_work(request: Request, work: Callable[[], T]) -> T:
    """Run ``work()`` (blocking, using the request's session), then end the request's unit of work (commit, or
    roll back if ``work`` raised), all in one thread-pool hop. For the hot endpoints (crew updates, fill
    reports): row locks taken by ``work`` are released at once instead of after the event loop gets round to
    the commit. ``work`` returns what the response needs (no lazy loads after the commit)."""
    uow: _UnitOfWork = request.state.unit_of_work

    def run() -> T:
        try:
            result = work()
        except BaseException as exc:
            uow.finish(exc)  # rolls back
            raise
        uow.finish()
        return result

    return await to_thread.run_sync(run)


def before_commit(request: Request, work: Callable[[], None]) -> None:
    """Run ``work`` (blocking database work, e.g. an audit entry) in the request's transaction just before it
    commits, only when the endpoint returned normally. Register it before the endpoint runs: a hot endpoint
    commits in its own hop (``in_unit_of_work``)."""
    request.state.unit_of_work.before_commit.append(work)


def road_network(settings: Annotated[Settings, Depends(get_settings)]) -> RoadNetwork:
    return get_network(settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit happens when the endpoint returns, before the response is sent,
# so a failed commit becomes an error response instead of a silently lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NetworkDep = Annotated[RoadNetwork, Depends(road_network)]
# Database ids: a number out of range is a 422, never an overflow deep in the driver.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

"""A small event emitter with aiortc's (pyee's) calling style.

``obj.on("message")`` used as a decorator, or ``obj.on("message", handler)``; coroutine
handlers are scheduled as tasks on the running loop. A handler that raises is logged and does
not stop the other handlers nor the stack (an application bug must not break the connection).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("rtcpeer")

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


class EventEmitter:
    """``on`` / ``once`` / ``off`` / ``emit`` with sync and async handlers."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[Handler, bool]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def on(self, event: str, f: H | None = None) -> Any:
        """Register ``f`` for ``event``; without ``f``, return a decorator."""
        if f is None:

            def decorator(func: H) -> H:
                self._add(event, func, once=False)
                return func

            return decorator
        self._add(event, f, once=False)
        return f

    def once(self, event: str, f: H | None = None) -> Any:
        """Like :meth:`on`, but the handler runs at most once."""
        if f is None:

            def decorator(func: H) -> H:
                self._add(event, func, once=True)
                return func

            return decorator
        self._add(event, f, once=True)
        return f

    def _add(self, event: str, f: Handler, once: bool) -> None:
        self._handlers.setdefault(event, []).append((f, once))

    def remove_listener(self, event: str, f: Handler) -> None:
        handlers = self._handlers.get(event, [])
        self._handlers[event] = [(h, o) for (h, o) in handlers if h is not f]

    off = remove_listener

    def remove_all_listeners(self, event: str | None = None) -> None:
        if event is None:
            self._handlers.clear()
        else:
            self._handlers.pop(event, None)

    def listeners(self, event: str) -> list[Handler]:
        return [h for (h, _) in self._handlers.get(event, [])]

    def emit(self, event: str, *args: Any) -> bool:
        """Call every handler of ``event``; returns whether there was one."""
        handlers = self._handlers.get(event)
        if not handlers:
            return False
        if any(once for (_, once) in handlers):
            self._handlers[event] = [(h, o) for (h, o) in handlers if not o]
        for handler, _ in list(handlers):
            try:
                result = handler(*args)
            except Exception:
                logger.exception("error in %r handler %r", event, handler)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
        return True

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("error in async event handler", exc_info=task.exception())

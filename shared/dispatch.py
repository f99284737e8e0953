"""A table from event type to handler, checked against the union of events it must handle.

A consumer's union (``shared.events.streams``) says which contracts can arrive; a ``Dispatch``
built from it refuses to exist unless every member has exactly one handler, so adding an event
to a union without teaching each consumer what it means fails loudly where the table is built
(and in ``tests/unit/test_dispatch.py``), instead of being dropped by an ``isinstance`` ladder
that forgot it.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, Union, get_args, get_origin

from shared.events import Event

R = TypeVar("R")


class IncompleteDispatch(TypeError):
    """The handlers do not cover the union exactly."""


def members(union: Any) -> tuple[type[Event], ...]:
    """The event classes of ``A | B | ...`` (or of a single class)."""
    if get_origin(union) in (Union, types.UnionType):
        return tuple(get_args(union))
    return (union,)


class Dispatch(Generic[R]):
    """Calls the handler registered for the event's exact type (with any further arguments)."""

    def __init__(self, name: str, union: Any, handlers: Mapping[type[Event], Callable[..., R]]):
        expected = set(members(union))
        missing = sorted(cls.__name__ for cls in expected - handlers.keys())
        unexpected = sorted(cls.__name__ for cls in handlers.keys() - expected)
        if missing or unexpected:
            raise IncompleteDispatch(
                f"{name}: no handler for {missing or 'nothing'}; "
                f"handlers for events outside its union: {unexpected or 'none'}"
            )
        self.name = name
        self.handlers: Mapping[type[Event], Callable[..., R]] = dict(handlers)

    def __call__(self, event: Event, *args: Any) -> R:
        try:
            handler = self.handlers[type(event)]
        except KeyError:
            raise TypeError(f"{self.name} does not handle {type(event).__name__}") from None
        return handler(event, *args)

"""What the builders of the composition root share: closing what the container opens,
building an object (or a part of the container) on first use, and finding a config file."""

import threading
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast, overload

APP_ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


class SupportsClose(Protocol):
    def close(self) -> None: ...


SupportsCloseT = TypeVar("SupportsCloseT", bound=SupportsClose)


def owned(opened: ExitStack, resource: SupportsCloseT) -> SupportsCloseT:
    """``resource``, closed with the container: what it opens, never what it is handed."""
    return opened.enter_context(closing(resource))


def config_path(path: Path) -> Path:
    """Config files resolve against the working directory, then the application's root."""
    if path.is_absolute() or path.exists():
        return path
    return APP_ROOT / path


class Lazy(Generic[T]):
    """Builds its target once, on first use (thread-safe: worker threads share it)."""

    def __init__(self, factory: Callable[[], T]):
        self._factory = factory
        self._target: T | None = None
        self._lock = threading.Lock()

    def target(self) -> T:
        if self._target is None:
            with self._lock:
                if self._target is None:
                    self._target = self._factory()
        return self._target


class Building(Protocol):
    """What builds parts on first use: a reentrant lock, since building one part may read
    another, and what it opened, closed at once when the container is closed already."""

    building: threading.RLock
    closed: bool
    resources: ExitStack


class built_on_first_use(Generic[T]):  # noqa: N801 (used as a decorator, like cached_property)
    """A part of the container built by the decorated method when first read, then kept as a
    plain attribute. A Lambda execution environment's first event builds (and imports) only
    what it uses; worker threads reading it at once get one build between them."""

    def __init__(self, build: Callable[[Any], T]):
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, container: None, owner: type) -> "built_on_first_use[T]": ...

    @overload
    def __get__(self, container: Building, owner: type) -> T: ...

    def __get__(self, container: Building | None, owner: type) -> "T | built_on_first_use[T]":
        if container is None:
            return self
        with container.building:
            parts = vars(container)
            if self._name not in parts:  # kept in the instance: later reads skip this method
                parts[self._name] = self._build(container)
                if container.closed:  # a part first read after close(): closed as built
                    container.resources.close()
            return cast(T, parts[self._name])

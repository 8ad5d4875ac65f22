"""What the builders of the composition root share: closing what the container opens,
building an object on first use, and finding a config file."""

import threading
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Generic, Protocol, TypeVar

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

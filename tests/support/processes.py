"""Whether a process is still running, for tests that stop servers."""

import time

import psutil


def alive(pid: int) -> bool:
    """Running: not gone, and not a zombie waiting for its parent (init, for a PostgreSQL
    server started by pg_ctl) to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stopped_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)

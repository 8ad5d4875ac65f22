"""A real uvicorn server on 127.0.0.1 in a background thread, for tests of what only a server
does (connections, timeouts, its own logging)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def live_server(config: uvicorn.Config, *, timeout: float = 10.0) -> Iterator[int]:
    """Run ``config`` (host 127.0.0.1, port 0 picks a free one) and yield its port."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout)

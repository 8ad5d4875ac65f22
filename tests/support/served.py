"""`codehealer serve` in its own process, for end-to-end tests: started with a clean
environment (only the variables a test gives), waited for, and stopped."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.config import setting_variables

STARTED_WITHIN = 120
T = TypeVar("T")


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    output: Path
    env: dict[str, str]
    cwd: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]

    def wait_for(self, check: Callable[[], T | None], seconds: float, what: str) -> T:
        """The first truthy answer of ``check``; fails with the server's log after ``seconds``
        or when the server exits."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited:\n{self.log()}"
            found = check()
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{what}\n{self.log()}")


def app_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(folder: Path, variables: dict[str, str]) -> Iterator[Served]:
    """`codehealer serve` run from ``folder`` (no stray .env is read) with ``variables`` as its
    only settings; stopped on leaving."""
    names = set(setting_variables())
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(LOG_FORMAT="text", PYTHONUNBUFFERED="1", **variables)
    port = free_port()
    output = folder / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Served(f"http://127.0.0.1:{port}", process, output, env, folder)
    try:
        running.wait_for(lambda: _healthy(running.url), STARTED_WITHIN, "serve did not start")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False

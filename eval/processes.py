"""Servers in child processes, for benchmarks and tests: a free loopback port, and a server
command started in its own process group, waited for until its URL answers, and stopped."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

# loopback only: a proxy from the environment must not see these requests
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def console_script(name: str) -> str:
    """A command this venv installed (`rag`, `chroma`), next to the running Python."""
    return str(Path(sys.executable).parent / name)


def free_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether a GET of `url` returns 200 now."""
    try:
        with _OPENER.open(url, timeout=timeout_s) as response:
            return response.status == 200
    except (OSError, http.client.HTTPException):
        return False


class ServerProcess:
    """A server command on 127.0.0.1:`port`, in its own process group: stopping it ends
    whatever it started, and nothing else. It can be started again after a stop or a kill
    (same port, same log, appended). Used as a context manager: started, then stopped."""

    def __init__(
        self,
        command: Sequence[str | Path | int],
        port: int,
        *,
        ready_path: str = "/",
        timeout_s: float = 120.0,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
    ) -> None:
        self.command = [str(part) for part in command]
        self.port = port
        self.ready_path = ready_path
        self.timeout_s = timeout_s
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the command; return the seconds until `url + ready_path` answered 200.

        RuntimeError (with the log's tail) if it exits first or does not answer within
        `timeout_s`; it is stopped then."""
        assert not self.running(), "already running"
        started = time.perf_counter()
        if self.log is None:
            self.process = self._popen(subprocess.DEVNULL)
        else:
            with self.log.open("ab") as out:
                self.process = self._popen(out)
        while not answers(self.url + self.ready_path):
            if self.process.poll() is not None:
                raise RuntimeError(f"`{self.command_line}` exited: {self.log_tail()}")
            if time.perf_counter() - started > self.timeout_s:
                self.stop()
                raise RuntimeError(
                    f"`{self.command_line}` did not answer within {self.timeout_s:.0f} s: "
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)
        return time.perf_counter() - started

    def _popen(self, out) -> subprocess.Popen:
        return subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def command_line(self) -> str:
        return " ".join(self.command)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        """Send `sig` to the server's process group."""
        assert self.process is not None, "not started"
        os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """Die at once, as a crash would: no shutdown, no flush."""
        if self.running():
            self.signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM to the group (after SIGCONT, in case it was frozen); SIGKILL if it lingers."""
        if self.running():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, chars: int = 2000) -> str:
        if self.log is None or not self.log.is_file():
            return "(no log)"
        return self.log.read_text(errors="replace")[-chars:]

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def chroma_server(path: Path, port: int | None = None, log: Path | None = None) -> ServerProcess:
    """`chroma run` from this venv over the store at `path` (not started yet)."""
    port = port or free_port()
    command = [console_script("chroma"), "run", "--path", path]
    command += ["--host", "127.0.0.1", "--port", port]
    return ServerProcess(command, port, ready_path="/api/v2/heartbeat", log=log)

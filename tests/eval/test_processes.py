"""The server helper every benchmark and test uses: a real tiny server is started on a free
port, answers, and is gone, with its process group, once stopped."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from eval.processes import ServerProcess, answers, free_port


def http_server(tmp_path, **options) -> ServerProcess:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    command += ["--directory", str(tmp_path)]
    return ServerProcess(command, port, log=tmp_path / "server.log", **options)


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_free_port_is_free():
    port = free_port()
    assert 1024 <= port <= 65535
    assert not answers(f"http://127.0.0.1:{port}/", timeout_s=0.5)


def test_a_server_starts_answers_and_is_gone_after_stop(tmp_path):
    (tmp_path / "hello.txt").write_text("hello", encoding="utf-8")
    with http_server(tmp_path) as server:
        pid = server.process.pid
        assert server.running()
        assert answers(f"{server.url}/hello.txt")
        assert os.getpgid(pid) == pid  # its own process group: stopping it ends nothing else
    assert server.process.poll() is not None
    assert not group_alive(pid)
    assert not answers(server.url + "/", timeout_s=0.5)


def test_a_killed_server_starts_again_on_the_same_port(tmp_path):
    server = http_server(tmp_path)
    try:
        server.start()
        first = server.process.pid
        server.kill()
        assert server.process.returncode == -signal.SIGKILL
        assert server.start() >= 0
        assert server.process.pid != first and answers(server.url + "/")
    finally:
        server.stop()
    assert not server.running()


def test_a_server_that_exits_is_reported_with_its_log(tmp_path):
    command = [sys.executable, "-c", "import sys; sys.exit('no luck today')"]
    server = ServerProcess(command, free_port(), log=tmp_path / "server.log")
    with pytest.raises(RuntimeError, match=r"exited: .*no luck today"):
        server.start()


def test_a_server_that_never_answers_is_stopped_after_the_timeout(tmp_path):
    sleeper = ServerProcess([sys.executable, "-c", "import time; time.sleep(60)"], free_port(),
                            timeout_s=1.0)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not answer within 1 s"):
        sleeper.start()
    assert time.monotonic() - started < 10
    assert not sleeper.running()

"""A free loopback port for the servers tests start (importable: tests/ is on the pythonpath)."""

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

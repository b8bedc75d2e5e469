"""A free loopback port for the servers tests start (importable: tests/ is on the pythonpath)."""

from eval.processes import free_port

__all__ = ["free_port"]

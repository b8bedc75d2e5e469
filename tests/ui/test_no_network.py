"""No request leaves the machine in a default code path: `rag index`, `rag ask` and the served
page run inside an empty network namespace (`unshare -n`, loopback only), with no offline
switch set by the test, and an audit hook in every Python process records each attempt to
resolve a name or connect to anything but loopback or a Unix socket. None may be recorded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import ROOT, SEEDS

RAG = Path(sys.executable).parent / "rag"
QUESTION = "How long will the railway between Turkey and Iran be?"

# Loaded by every Python process started with this folder on PYTHONPATH.
SITECUSTOMIZE = """
import json, os, sys

_LOG = os.environ["RAG_NET_AUDIT"]
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0", "::")


def _remote(host):
    if host is None or isinstance(host, (bytes, bytearray)):
        return False  # a Unix socket, or no host at all
    return not str(host).startswith(_LOCAL)


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        address = args[-1]
        host = address[0] if isinstance(address, tuple) else None
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0]
    else:
        return
    if _remote(host):
        with open(_LOG, "a") as log:
            log.write(json.dumps({"event": event, "host": str(host), "argv": sys.argv[:3]}) + "\\n")


sys.addaudithook(_hook)
"""

# Runs inside the namespace: index, ask, serve and ask the page; prints what it found.
SCENARIO = """
import json, socket, subprocess, sys, tempfile, time

rag, seeds, question = sys.argv[1:4]
found = {"links": subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout}
# a canary: the hook must see this connect attempt, and the namespace must refuse it
canary = "import socket\\ntry: socket.create_connection(('192.0.2.1', 9), 2)\\n" \\
    "except OSError as e: print(e)"
run = subprocess.run([sys.executable, "-c", canary, "canary"], capture_output=True, text=True)
found["canary"] = run.stdout
index = subprocess.run([rag, "index", seeds, "-q"], capture_output=True, text=True)
found["index"] = [index.returncode, index.stderr[-2000:]]
ask = subprocess.run([rag, "ask", question, "--json"], capture_output=True, text=True)
found["ask"] = [ask.returncode, ask.stdout if ask.returncode == 0 else ask.stderr[-2000:]]

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
log = tempfile.TemporaryFile("w+")
server = subprocess.Popen([rag, "ui", "--port", str(port)], stdout=log, stderr=log, text=True)
try:
    import httpx
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            page = httpx.get(url, timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.5)
    found["page"] = [page.status_code, page.text]
    import os
    os.environ["HF_HUB_OFFLINE"] = "1"  # the client's own switch, as the docs say
    from gradio_client import Client
    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    found["ui"] = client.predict(question=question, api_name="/ask")
finally:
    server.terminate()
    server.wait(timeout=30)
    log.seek(0)
    found["server_log"] = log.read()[-2000:]
print(json.dumps(found))
"""


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = ["unshare", "-n", "sh", "-c", "ip link set lo up"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.mark.skipif(not _namespaces_work(), reason="needs `unshare -n` (root) and `ip`")
def test_index_ask_and_the_page_work_with_the_network_cut(tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    audit = tmp_path / "network-attempts.jsonl"
    audit.touch()
    scenario = tmp_path / "scenario.py"
    scenario.write_text(SCENARIO)
    switches = ("_OFFLINE", "TELEMETRY", "GRADIO_ANALYTICS_ENABLED", "DO_NOT_TRACK")
    env = {  # none of the offline switches: the code must set them itself
        **{k: v for k, v in os.environ.items() if not k.endswith(switches)},
        "PYTHONPATH": f"{hooks}{os.pathsep}{ROOT}",
        "RAG_NET_AUDIT": str(audit),
        "RAG_STORE_DIR": str(tmp_path / "store"),
        "RAG_BACKEND": "extractive",
        "HOME": str(tmp_path / "home"),  # no cache from earlier runs (the model cache is unused)
    }
    command = f"ip link set lo up && exec {sys.executable} {scenario} {RAG} {SEEDS} '{QUESTION}'"
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    links = found["links"].splitlines()
    assert len(links) == 1 and ": lo:" in links[0], "only loopback in the namespace"
    assert found["index"][0] == 0, found["index"]
    assert found["ask"][0] == 0, found["ask"]
    answer = json.loads(found["ask"][1])
    assert "200" in answer["answer"] and answer["citations"]
    status, page = found["page"]
    assert status == 200 and "<html" in page.lower()
    assert "200" in found["ui"]["answer"] and found["ui"]["citations"], found
    attempts = [json.loads(line) for line in audit.read_text().splitlines()]
    canary = [a for a in attempts if a["argv"][-1:] == ["canary"]]
    assert canary and "unreachable" in found["canary"], "the hook sees a connect, which fails"
    assert [a for a in attempts if a not in canary] == [], f"network attempts: {attempts}"

"""Let no one in by accident: the page binds 127.0.0.1 unless told otherwise, warns loudly on
another host without a login, makes a configured login guard the Gradio API as well as the
page, and serves no file: only indexed documents' cleaned text, through the app's own code."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import pytest
from corpus import SEEDS
from ports import free_port

from rag.services.shared import Services
from ui import render
from ui.access import exposure_warning, login, upload_allowed
from ui.app import build_app, document_page, launch, services_for
from ui.settings import UISettings

RAG = str(Path(sys.executable).parent / "rag")
QUESTION = "How long will the railway between Turkey and Iran be?"
USER, PASSWORD = "reader", "correct horse battery staple"
API_KEY = "another horse battery staple"


def api_client(url: str, auth: tuple[str, str] | None = None):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False, analytics_enabled=False, download_files=False)


@pytest.fixture(scope="module")
def store_dir(corpus_store) -> Path:
    return Path(corpus_store.client.get_settings().persist_directory)


def serve(settings: UISettings):
    demo = build_app(settings)
    launch(demo, settings, block=False)
    return demo, f"http://127.0.0.1:{settings.ui_port}/"


@pytest.fixture(scope="module")
def open_page(store_dir):
    """The page as served by default (no RAG_UI_HOST, no login)."""
    settings = UISettings(store_dir=store_dir, ui_port=free_port(), backend="extractive")
    demo, url = serve(settings)
    yield settings, url
    demo.close()


@pytest.fixture(scope="module")
def guarded_page(store_dir):
    settings = UISettings(
        store_dir=store_dir,
        ui_port=free_port(),
        backend="extractive",
        ui_user=USER,
        ui_password=PASSWORD,
        api_key=API_KEY,
    )
    demo, url = serve(settings)
    yield url
    demo.close()


# --- where it listens ---------------------------------------------------------------------------


def test_it_listens_on_loopback_only_by_default(open_page):
    settings, _ = open_page
    assert UISettings().ui_host == "127.0.0.1"
    listening = [
        c.laddr
        for c in psutil.Process().net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == settings.ui_port
    ]
    assert listening and {address.ip for address in listening} == {"127.0.0.1"}
    outside = [
        a.address
        for addresses in psutil.net_if_addrs().values()
        for a in addresses
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    for address in outside:  # the machine's other addresses do not reach it
        with pytest.raises(OSError):
            socket.create_connection((address, settings.ui_port), timeout=2).close()


def test_exposure_rules():
    assert exposure_warning(UISettings(ui_host="127.0.0.1")) is None
    assert exposure_warning(UISettings(ui_host="::1")) is None
    assert (
        exposure_warning(UISettings(ui_host="0.0.0.0", ui_user=USER, ui_password=PASSWORD)) is None
    )
    for host in ("0.0.0.0", "192.0.2.2", "::", "example.org"):
        assert "WITHOUT a login" in exposure_warning(UISettings(ui_host=host))
    with pytest.raises(ValueError, match="both RAG_UI_USER and RAG_UI_PASSWORD"):
        login(UISettings(ui_user=USER))


def test_upload_rules():
    assert upload_allowed(UISettings(ui_host="127.0.0.1"))
    assert upload_allowed(UISettings(ui_host="0.0.0.0", ui_user=USER, ui_password=PASSWORD))
    exposed = UISettings(ui_host="0.0.0.0")
    assert not upload_allowed(exposed)
    assert "Uploading is off" in exposure_warning(exposed)
    opened = UISettings(ui_host="0.0.0.0", ui_allow_upload=True)
    assert upload_allowed(opened)
    assert "Uploading is ON" in exposure_warning(opened)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_rag_ui_on_all_interfaces_without_login_warns_loudly(store_dir):
    """`rag ui` with RAG_UI_HOST=0.0.0.0, inside an empty network namespace so that the test
    itself exposes nothing: the warning is printed before the page is served."""
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    env = {
        **os.environ,
        "RAG_STORE_DIR": str(store_dir),
        "RAG_UI_HOST": "0.0.0.0",
        "RAG_UI_PORT": str(free_port()),
        "RAG_API_KEY": API_KEY,  # without one it would refuse to start (tests/ui/test_api.py)
    }
    process = subprocess.Popen(
        ["unshare", "-n", RAG, "ui"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            line = process.stdout.readline()
            seen.append(line)
            if "WARNING" in line:
                break
        output = "".join(seen)
        assert "WARNING: serving on 0.0.0.0" in output and "WITHOUT a login" in output, output
    finally:
        process.kill()
        process.wait()


# --- the login ----------------------------------------------------------------------------------


def test_a_configured_login_guards_the_page_and_the_api(guarded_page):
    url = guarded_page
    for path in ("config", "gradio_api/info"):
        assert httpx.get(url + path, timeout=30).status_code == 401, path
    for path in ("gradio_api/call/ask", "gradio_api/queue/join"):
        call = httpx.post(url + path, json={"data": [QUESTION], "fn_index": 0}, timeout=30)
        assert call.status_code == 401, path
    with pytest.raises(Exception, match=r"(?i)login|auth|401|credentials"):
        api_client(url)
    with pytest.raises(Exception, match=r"(?i)login|auth|401|credentials|incorrect"):
        api_client(url, auth=(USER, "wrong"))
    answer = api_client(url, auth=(USER, PASSWORD)).predict(question=QUESTION, api_name="/ask")
    assert "200" in answer["answer"] and answer["citations"]
    # the OpenAI-compatible API: the key, not the login
    assert httpx.get(url + "v1/models", timeout=30).status_code == 401
    assert httpx.get(url + "v1/models", auth=(USER, PASSWORD), timeout=30).status_code == 401
    with_key = {"Authorization": f"Bearer {API_KEY}"}
    assert httpx.get(url + "v1/models", headers=with_key, timeout=30).status_code == 200


def test_without_login_the_api_answers(open_page):
    _, url = open_page
    answer = api_client(url).predict(question=QUESTION, api_name="/ask")
    assert "200" in answer["answer"] and answer["citations"]


# --- what is served -----------------------------------------------------------------------------


def test_no_file_path_is_served(open_page, store_dir):
    _, url = open_page
    seed = next(SEEDS.glob("*.txt"))
    secret_files = {
        "/etc/passwd": "root:",
        str(seed): seed.read_text(encoding="utf-8")[:60],
        str(store_dir / "chroma.sqlite3"): "SQLite format",
    }
    up = "%2e%2e/" * 6
    for path, content in secret_files.items():
        for target in (
            f"gradio_api/file={path}",
            f"gradio_api/file={quote(path, safe='')}",
            f"file={path}",
            f"gradio_api/file=../../../../../..{path}",
            f"gradio_api/file={up}{path}",
            f"static/{up}{path}",
            f"assets/{up.replace('/', '%2f')}{path}",
            f"gradio_api/{up}{path}",
        ):
            response = httpx.get(url + target, timeout=30)
            assert response.status_code != 200 or content not in response.text, target


@pytest.fixture(scope="module")
def services(store_dir) -> Services:
    return services_for(UISettings(store_dir=store_dir))


def test_the_document_view_shows_only_indexed_cleaned_text(services):
    store = services.store()
    for doc_id, doc in store.documents().items():
        text = store.source_text(doc_id)
        header = set(doc.metadata.values())  # title, publisher, date: shown above the text
        nodes = store.nodes({"doc_id": doc_id})
        spans = sorted((int(n.metadata["start"]), int(n.metadata["end"])) for n in nodes)
        chrome = [  # lines of the file that no chunk touches: navigation, footers, ads
            line
            for line in text.splitlines()
            if len(line.strip()) > 20
            and text.count(line) == 1
            and line.strip() not in header
            and not any(a < text.find(line) + len(line) and text.find(line) < b for a, b in spans)
        ]
        assert chrome, f"{doc_id}: the seeds have page chrome that cleaning drops"
        start, end = spans[0]
        for forged in ((start, end), (0, len(text)), (0, 1), (len(text) - 1, len(text))):
            shown = document_page(services, doc_id, *forged)
            assert render.esc(text[start + 1 : start + 40]) in shown
            for line in chrome:
                assert render.esc(line.strip()) not in shown, (doc_id, forged, line)


@pytest.mark.parametrize(
    "doc_id", ["../../etc/passwd", "/etc/passwd", str(next(SEEDS.glob("*.txt"))), "", "seeds"]
)
def test_a_document_that_is_not_indexed_is_not_read(services, doc_id):
    shown = document_page(services, doc_id, 0, 100)
    assert "not in the index" in shown and "root:" not in shown

"""`rag eval-chart`: several runs' metrics in one PNG; a file that is no report is refused."""

import json

from typer.testing import CliRunner

from ui.cli import app


def report(tmp_path, name: str, backend: str, value: float):
    path = tmp_path / f"{name}.json"
    metrics = {"hit_at_5": value, "answer_match": value / 2, "latency_p50_ms": 30.0}
    path.write_text(json.dumps({"metrics": metrics, "config": {"backend": backend}}))
    return path


def test_runs_side_by_side_make_one_png(tmp_path):
    runs = [report(tmp_path, "a", "extractive", 0.9), report(tmp_path, "b", "llamacpp", 0.8)]
    out = tmp_path / "runs.png"
    result = CliRunner().invoke(app, ["eval-chart", *map(str, runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_file_that_is_no_report_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = CliRunner().invoke(app, ["eval-chart", str(bad), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "not a report.json" in result.output

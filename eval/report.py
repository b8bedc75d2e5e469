"""Reports: report.json (the data), report.md, and a self-contained report.html (inline CSS+SVG)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from eval.metrics import LOWER_IS_BETTER, METRICS

UNIT_METRICS = [m for m in METRICS if not m.endswith("_ms")]


class ReportError(ValueError):
    """A --compare file that is not a report written by `rag eval`."""


def build(
    metrics: dict,
    records: list[dict],
    config: dict,
    previous: dict | None = None,
    against: str = "",
) -> dict:
    """The report.json object; `comparison` is present only when comparing with `previous`."""
    order = {id(r): i for i, r in enumerate(records)}
    report = {
        "metrics": metrics,
        "questions": sorted(records, key=lambda r: (-len(r["failed"]), order[id(r)])),
        "config": config,
    }
    if previous is not None:
        report["comparison"] = {
            "against": against,
            "config": previous["config"],
            "deltas": deltas(metrics, previous["metrics"]),
        }
    return report


def load(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(f"cannot read the report {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ReportError(f"{path} is not a report.json written by `rag eval` (no 'metrics')")
    data.setdefault("config", {})
    return data


def deltas(new: dict, old: dict) -> dict[str, dict]:
    """Per metric old, new and new - old (None where either side was not measured)."""
    result = {}
    for name in METRICS:
        a, b = old.get(name), new.get(name)
        delta = None if a is None or b is None else round(b - a, 4)
        result[name] = {"old": a, "new": b, "delta": delta, "better": _better(name, delta)}
    return result


def _better(name: str, delta: float | None) -> bool | None:
    if not delta:
        return None
    return (delta < 0) if name in LOWER_IS_BETTER else (delta > 0)


def write(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "md": out_dir / "report.md",
        "html": out_dir / "report.html",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    paths["md"].write_text(markdown(report), "utf-8")
    paths["html"].write_text(html(report), "utf-8")
    return paths


def fmt(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} ms" if name.endswith("_ms") else f"{value:.3f}"


def fmt_delta(name: str, value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:+,.0f} ms" if name.endswith("_ms") else f"{value:+.3f}"


def _title(report: dict) -> str:
    config = report["config"]
    return f"{config.get('pipeline', '?')} pipeline, {config.get('backend', '?')} backend"


# ---- markdown -------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    config, comparison = report["config"], report.get("comparison")
    lines = [
        f"# Evaluation: {_title(report)}",
        "",
        f"{len(report['questions'])} questions from `{config.get('questions', '?')}`, "
        f"top_k {config.get('top_k')}, {config.get('started', '')}",
        "",
    ]
    if comparison:
        lines += ["| metric | value | compared | delta |", "|---|---:|---:|---:|"]
        for name in METRICS:
            d = comparison["deltas"][name]
            lines.append(
                f"| {name} | {fmt(name, d['new'])} | {fmt(name, d['old'])} | "
                f"{fmt_delta(name, d['delta'])} |"
            )
    else:
        lines += ["| metric | value |", "|---|---:|"]
        lines += [f"| {name} | {fmt(name, report['metrics'].get(name))} |" for name in METRICS]
    lines += [
        "",
        "## Questions (failures first)",
        "",
        "| id | result | failed checks | answer | latency |",
        "|---|---|---|---|---:|",
    ]
    for record in report["questions"]:
        answer = record["error"] or record["answer"]
        lines.append(
            f"| {record['id']} | {'FAIL' if record['failed'] else 'pass'} | "
            f"{', '.join(record['failed'])} | {_md_cell(answer, 160)} | "
            f"{fmt('latency_ms', record['latency_ms'])} |"
        )
    return "\n".join(lines) + "\n"


def _md_cell(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- html -----------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2430}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5b6472;margin-bottom:16px}.charts{display:flex;flex-wrap:wrap;gap:24px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;
text-align:left;vertical-align:top}th{background:#f4f6f8;position:sticky;top:0}
td.num,th.num{text-align:right;white-space:nowrap}.fail{color:#b3261e;font-weight:600}
.pass{color:#1e7b34;font-weight:600}tr.failed{background:#fff6f5}.small{font-size:12px;color:#5b6472}
.ok{color:#1e7b34}.bad{color:#b3261e}.quote{font-style:italic}ol{margin:0;padding-left:18px}
.tag{display:inline-block;background:#fde2df;color:#8c1d18;border-radius:4px;padding:0 5px;
margin:1px 2px;font-size:12px}.nowrap{white-space:nowrap}
table.metrics{width:auto;align-self:flex-start}
"""


def html(report: dict) -> str:
    config, comparison = report["config"], report.get("comparison")
    metrics = report["metrics"]
    old = {k: v["old"] for k, v in comparison["deltas"].items()} if comparison else None
    charts = [_bars(metrics, old)]
    if comparison:
        charts.append(_delta_bars(comparison["deltas"]))
    failed = sum(1 for r in report["questions"] if r["failed"])
    meta = (
        f"{len(report['questions'])} questions ({failed} with a failed check) from "
        f"<code>{escape(str(config.get('questions', '?')))}</code> · top_k "
        f"{escape(str(config.get('top_k')))} · {escape(str(config.get('started', '')))}"
    )
    if comparison:
        meta += f" · compared with <code>{escape(str(comparison['against']))}</code>"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Evaluation: {escape(_title(report))}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>Evaluation: {escape(_title(report))}</h1>",
            f'<div class="meta">{meta}</div>',
            "<h2>Metrics</h2>",
            '<div class="charts">'
            + _metrics_table(metrics, comparison)
            + "".join(charts)
            + "</div>",
            "<h2>Questions (failures first)</h2>",
            _questions_table(report["questions"]),
            "</body></html>",
        ]
    )


def _metrics_table(metrics: dict, comparison: dict | None) -> str:
    head = "<tr><th>metric</th><th class=num>value</th>"
    head += "<th class=num>compared</th><th class=num>delta</th></tr>" if comparison else "</tr>"
    rows = []
    for name in METRICS:
        label = name + (
            ' <span class="small">(lower is better)</span>' if name in LOWER_IS_BETTER else ""
        )
        row = f"<tr><td>{label}</td><td class=num>{fmt(name, metrics.get(name))}</td>"
        if comparison:
            d = comparison["deltas"][name]
            css = {True: "ok", False: "bad", None: ""}[d["better"]]
            row += (
                f"<td class=num>{fmt(name, d['old'])}</td>"
                f'<td class="num {css}">{fmt_delta(name, d["delta"])}</td>'
            )
        rows.append(row + "</tr>")
    return f'<table class="metrics">{head}{"".join(rows)}</table>'


def _questions_table(records: list[dict]) -> str:
    head = (
        "<tr><th>result</th><th>id</th><th>question</th><th>answer</th><th>failed checks</th>"
        "<th>retrieved (rank: document)</th><th>citations</th><th class=num>latency</th></tr>"
    )
    rows = [head]
    for r in records:
        status = (
            '<span class="fail">FAIL</span>' if r["failed"] else '<span class="pass">pass</span>'
        )
        expected = ", ".join(r["expected_sources"]) or "none (unanswerable)"
        question = (
            f"{escape(r['question'])}<div class=small>{escape(r['kind'])} · expects "
            f"{escape(r['sources_mode'] if len(r['expected_sources']) > 1 else '')} "
            f"{escape(expected)}</div>"
        )
        if r["error"]:
            answer = f'<span class="bad">{escape(r["error"])}</span>'
        else:
            answer = escape(r["answer"]) + (
                " <span class=small>(declined)</span>" if r["abstained"] else ""
            )
        tags = "".join(f'<span class="tag">{escape(name)}</span>' for name in r["failed"])
        retrieved = "<br>".join(
            f"<span class=nowrap>{p['rank']}: {_doc(p['doc_id'], r['expected_sources'])}</span>"
            for p in r["retrieved"]
        )
        citations = "".join(
            f"<li>{_doc(c['doc_id'], r['expected_sources'])} "
            f"{_VERIFIED[c['verified']]}"
            f'<div class="quote small">“{escape(_cut(c["quote"], 220))}”</div></li>'
            for c in r["citations"]
        )
        rows.append(
            f'<tr class="{"failed" if r["failed"] else ""}"><td>{status}</td>'
            f"<td>{escape(r['id'])}</td><td>{question}</td><td>{answer}</td><td>{tags}</td>"
            f"<td class=small>{retrieved}</td><td><ol>{citations}</ol></td>"
            f"<td class=num>{fmt('latency_ms', r['latency_ms'])}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


_VERIFIED = {
    True: "<span class=ok>✓ verified</span>",
    False: "<span class=bad>✗ not in file</span>",
}


def _doc(doc_id: str, expected: list[str]) -> str:
    mark = "ok" if doc_id in expected else ""
    return f'<span class="{mark}">{escape(doc_id)}</span>'


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- charts (inline SVG) ----------------------------------------------------------------------

_LABEL_W, _BAR_W, _ROW_H = 200, 300, 24


def _bars(metrics: dict, old: dict | None) -> str:
    """Horizontal bars for the [0, 1] metrics; a thin black tick marks the compared value."""
    height = _ROW_H * len(UNIT_METRICS) + 30
    width = _LABEL_W + _BAR_W + 70
    title = "Metrics (0 to 1; black tick: the compared report)" if old else "Metrics (0 to 1)"
    parts = [_svg_open(width, height, title)]
    for i, name in enumerate(UNIT_METRICS):
        y = 24 + i * _ROW_H
        value = metrics.get(name)
        colour = "#c77c02" if name in LOWER_IS_BETTER else "#2f6fd0"
        parts.append(_text(_LABEL_W - 8, y + 15, name, anchor="end"))
        parts.append(
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{_BAR_W}" height="14" fill="#eef1f5"/>'
        )
        if value is not None:
            w = round(_BAR_W * max(0.0, min(1.0, value)), 1)
            parts.append(
                f'<rect x="{_LABEL_W}" y="{y + 4}" width="{w}" height="14" fill="{colour}"/>'
            )
        if old and old.get(name) is not None:
            x = round(_LABEL_W + _BAR_W * max(0.0, min(1.0, old[name])), 1)
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y + 1}" y2="{y + 21}" stroke="#111" '
                'stroke-width="2"/>'
            )
        parts.append(_text(_LABEL_W + _BAR_W + 6, y + 15, fmt(name, value)))
    parts.append("</svg>")
    return "".join(parts)


def _delta_bars(deltas: dict) -> str:
    """Diverging bars of new - old, green where better, red where worse (direction-aware)."""
    names = [n for n in UNIT_METRICS if deltas[n]["delta"] is not None]
    height = _ROW_H * max(1, len(names)) + 30
    width = _LABEL_W + _BAR_W + 70
    centre = _LABEL_W + _BAR_W / 2
    scale = max([abs(deltas[n]["delta"]) for n in names] + [0.05])
    parts = [_svg_open(width, height, "Change against the compared report")]
    parts.append(f'<line x1="{centre}" x2="{centre}" y1="20" y2="{height}" stroke="#888"/>')
    for i, name in enumerate(names):
        y = 24 + i * _ROW_H
        d = deltas[name]
        w = round((_BAR_W / 2) * abs(d["delta"]) / scale, 1)
        x = centre if d["delta"] >= 0 else centre - w
        colour = {True: "#1e7b34", False: "#b3261e", None: "#888"}[d["better"]]
        parts.append(_text(_LABEL_W - 8, y + 15, name, anchor="end"))
        parts.append(f'<rect x="{x}" y="{y + 4}" width="{w}" height="14" fill="{colour}"/>')
        parts.append(_text(_LABEL_W + _BAR_W + 6, y + 15, fmt_delta(name, d["delta"])))
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: float, height: float, title: str) -> str:
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui,sans-serif" font-size="12">'
        f'<text x="0" y="13" font-weight="600" font-size="13">{escape(title)}</text>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" fill="#1d2430">{escape(text)}</text>'


def print_summary(report: dict) -> None:
    """The metrics as a table on the terminal (with the compared values when there are any)."""
    from rich.console import Console
    from rich.table import Table

    comparison = report.get("comparison")
    table = Table(title=f"Evaluation: {_title(report)}, {len(report['questions'])} questions")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if comparison:
        table.add_column("compared", justify="right")
        table.add_column("delta", justify="right")
    for name in METRICS:
        row = [name, fmt(name, report["metrics"].get(name))]
        if comparison:
            d = comparison["deltas"][name]
            style = {True: "green", False: "red", None: ""}[d["better"]]
            delta = fmt_delta(name, d["delta"])
            row += [fmt(name, d["old"]), f"[{style}]{delta}[/{style}]" if style else delta]
        table.add_row(*row)
    Console().print(table)

"""Reports: report.json (the data), report.md, and a self-contained report.html.

report.html comes from a Jinja2 template (eval/templates); its CSS is inline and its chart
an embedded base64 PNG, so the page is one file that opens anywhere, offline.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from eval.intervals import by_kind, changed, comparable, intervals, paired
from eval.metrics import LOWER_IS_BETTER, METRICS, UNIT_METRICS
from rag.quotes import shorten

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: the per-kind table's columns
KIND_METRICS = (
    "hit_at_5",
    "ndcg_at_5",
    "citation_precision",
    "faithfulness",
    "answer_match",
    "answer_f1",
    "abstention_accuracy",
    "false_abstention",
    "latency_p50_ms",
)


class ReportError(ValueError):
    """A --compare file that is not a report written by `rag eval`."""


def build(
    metrics: dict,
    records: list[dict],
    config: dict,
    previous: dict | None = None,
    against: str = "",
    *,
    benchmark: dict | None = None,
    unindexable: list[dict] | None = None,
) -> dict:
    """The report.json object: metrics with their 95% intervals, the same per kind of question,
    and, when comparing with `previous`, the deltas with paired intervals and the questions
    that changed outcome (listed first: broken, then fixed, then by failures). `benchmark` is a
    public benchmark's own measures as a table ({"name", "columns", "rows", "notes"});
    `unindexable` the sources that could not be indexed ({"source", "reason", "questions"})."""
    order = {id(r): i for i, r in enumerate(records)}
    report = {
        "metrics": metrics,
        "intervals": intervals(records),
        "by_kind": by_kind(records),
        "questions": sorted(records, key=lambda r: (-len(r["failed"]), order[id(r)])),
        "config": config,
    }
    if benchmark:
        report["benchmark"] = benchmark
    if unindexable:
        report["unindexable"] = unindexable
    if previous is not None:
        report["comparison"] = {
            "against": against,
            "config": previous["config"],
            "deltas": deltas(metrics, previous["metrics"]),
        }
        before = previous.get("questions", [])
        if before and comparable(before):
            moved = changed(records, before)
            report["comparison"] |= {"paired": paired(records, before), **moved}
            first = {id_: i for i, id_ in enumerate(moved["broken"] + moved["fixed"])}
            report["questions"].sort(key=lambda r: first.get(r["id"], len(first)))  # stable
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
    if name.endswith("_words"):
        return f"{value:.1f} words"
    return f"{value:,.0f} ms" if name.endswith("_ms") else f"{value:.3f}"


def cell(value: float | str | None) -> str:
    """A benchmark table's cell: a count as it is, a measure with three decimals."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def interval(name: str, bounds: list[float] | None) -> str:
    return "" if bounds is None else f"{fmt(name, bounds[0])} – {fmt(name, bounds[1])}"


def paired_interval(name: str, paired: dict) -> str:
    if paired["low"] is None:
        return ""
    return f"{fmt_delta(name, paired['low'])} – {fmt_delta(name, paired['high'])}"


def fmt_delta(name: str, value: float | None) -> str:
    if value is None:
        return ""
    if name.endswith("_words"):
        return f"{value:+.1f} words"
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
    bounds = report.get("intervals", {})
    paired = (comparison or {}).get("paired")
    if paired:
        lines += [
            f"Fixed: {', '.join(comparison['fixed']) or 'none'}; "
            f"broken: {', '.join(comparison['broken']) or 'none'}.",
            "",
        ]
    if comparison:
        lines += [
            "| metric | value | 95% interval | compared | delta | paired 95% interval | real? |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for name in METRICS:
            d, p = comparison["deltas"][name], (paired or {}).get(name)
            real = "" if not p or p["low"] is None else ("yes" if p["real"] else "noise")
            lines.append(
                f"| {name} | {fmt(name, d['new'])} | {interval(name, bounds.get(name))} | "
                f"{fmt(name, d['old'])} | {fmt_delta(name, d['delta'])} | "
                f"{paired_interval(name, p) if p else ''} | {real} |"
            )
    else:
        lines += ["| metric | value | 95% interval |", "|---|---:|---:|"]
        lines += [
            f"| {name} | {fmt(name, report['metrics'].get(name))} | "
            f"{interval(name, bounds.get(name))} |"
            for name in METRICS
        ]
    lines += _markdown_benchmark(report)
    if kinds := report.get("by_kind"):
        lines += [
            "",
            "## By kind of question",
            "",
            "| kind | questions | " + " | ".join(KIND_METRICS) + " |",
            "|---|---:|" + "---:|" * len(KIND_METRICS),
        ]
        for kind, row in kinds.items():
            cells = " | ".join(fmt(name, row.get(name)) for name in KIND_METRICS)
            lines.append(f"| {kind} | {row['questions']} | {cells} |")
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


def _markdown_benchmark(report: dict) -> list[str]:
    """The benchmark's own measures and the sources that could not be indexed, if any."""
    lines = []
    if bench := report.get("benchmark"):
        lines += ["", f"## {bench['name']}: its own measures", ""]
        lines += ["| | " + " | ".join(bench["columns"]) + " |"]
        lines += ["|---|" + "---:|" * len(bench["columns"])]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in bench["rows"]]
        lines += ["", *bench.get("notes", [])]
    if missing := report.get("unindexable"):
        lines += ["", "## Sources that could not be indexed (their questions count as missed)", ""]
        lines += [
            f"- `{m['source']}`: {m['reason']} ({', '.join(m['questions']) or 'no question'})"
            for m in missing
        ]
    return lines


def _md_cell(text: str, limit: int) -> str:
    return shorten(text, limit).replace("|", "\\|")


# ---- html -----------------------------------------------------------------------------------


@functools.cache
def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        fmt=fmt,
        cell=cell,
        fmt_delta=fmt_delta,
        interval=interval,
        paired_interval=paired_interval,
        METRICS=METRICS,
        KIND_METRICS=KIND_METRICS,
        LOWER_IS_BETTER=LOWER_IS_BETTER,
    )
    return environment


def html(report: dict) -> str:
    comparison = report.get("comparison")
    page = _templates().get_template("report.html.j2")
    return page.render(
        title=_title(report),
        config=report["config"],
        metrics=report["metrics"],
        intervals=report.get("intervals", {}),
        by_kind=report.get("by_kind", {}),
        questions=report["questions"],
        benchmark=report.get("benchmark"),
        unindexable=report.get("unindexable", []),
        comparison=comparison,
        chart=_chart(report["metrics"], comparison["deltas"] if comparison else None),
    )


# ---- the chart (an embedded PNG) ------------------------------------------------------------

_DPI = 100  # CSS pixels per inch; the PNG has twice as many, to stay sharp on HiDPI screens
_VERDICT_COLOURS = {True: "#1e7b34", False: "#b3261e", None: "#888"}


class _Chart(NamedTuple):
    png: str  # base64
    width: int  # CSS pixels
    alt: str


def _chart(metrics: dict, deltas: dict | None) -> _Chart | None:
    """Bars of the [0, 1] metrics, and of the changes when comparing; None without matplotlib."""
    try:
        from matplotlib.figure import Figure  # slow to import, and an optional extra
    except ImportError:
        return None
    panels = 2 if deltas else 1
    figure = Figure(figsize=(5.2 * panels, 0.3 * len(UNIT_METRICS) + 1), dpi=_DPI, layout="tight")
    axes = figure.subplots(1, panels, squeeze=False, sharey=True)[0]
    axes[0].set_yticks(range(len(UNIT_METRICS)), UNIT_METRICS, fontsize=8)
    axes[0].set_ylim(len(UNIT_METRICS) - 0.5, -0.5)  # the first metric on top
    _metric_bars(axes[0], metrics, deltas)
    if deltas:
        _delta_bars(axes[1], deltas)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=2 * _DPI)
    width = round(figure.get_figwidth() * _DPI)
    return _Chart(base64.b64encode(png.getvalue()).decode("ascii"), width, _alt(metrics, deltas))


def _metric_bars(axis: Axes, metrics: dict, deltas: dict | None) -> None:
    """Horizontal bars on a grey track; a black tick marks the compared report's value."""
    rows = range(len(UNIT_METRICS))
    values = [metrics.get(name) for name in UNIT_METRICS]
    colours = ["#c77c02" if name in LOWER_IS_BETTER else "#2f6fd0" for name in UNIT_METRICS]
    axis.barh(rows, 1, color="#eef1f5")
    axis.barh(rows, [_unit(value) for value in values], color=colours)
    title = "Metrics (0 to 1)"
    if deltas:
        for row, name in enumerate(UNIT_METRICS):
            if (old := deltas[name]["old"]) is not None:
                axis.vlines(_unit(old), row - 0.45, row + 0.45, colors="#111", linewidth=2)
        title += "; black tick: the compared report"
    axis.set_xlim(0, 1)
    _decorate(axis, title, [fmt(n, v) for n, v in zip(UNIT_METRICS, values, strict=True)])


def _delta_bars(axis: Axes, deltas: dict) -> None:
    """Diverging bars of new - old, green where better, red where worse (direction-aware)."""
    changes = [deltas[name]["delta"] for name in UNIT_METRICS]
    colours = [_VERDICT_COLOURS[deltas[name]["better"]] for name in UNIT_METRICS]
    axis.barh(range(len(UNIT_METRICS)), [change or 0.0 for change in changes], color=colours)
    axis.axvline(0, color="#888", linewidth=1)
    scale = max([abs(change) for change in changes if change is not None] + [0.05]) * 1.05
    axis.set_xlim(-scale, scale)
    values = [fmt_delta(n, c) for n, c in zip(UNIT_METRICS, changes, strict=True)]
    _decorate(axis, "Change against the compared report", values)


def _decorate(axis: Axes, title: str, values: list[str]) -> None:
    """The panel's title, grid, and each row's value written right of the bars."""
    for row, value in enumerate(values):
        axis.text(1.02, row, value, va="center", fontsize=8, transform=axis.get_yaxis_transform())
    axis.set_title(title, fontsize=9, loc="left")
    axis.tick_params(axis="x", labelsize=8)
    axis.grid(True, axis="x", alpha=0.3)
    axis.set_axisbelow(True)
    axis.spines[["top", "right"]].set_visible(False)


def _unit(value: float | None) -> float:
    return 0.0 if value is None else max(0.0, min(1.0, value))


def _alt(metrics: dict, deltas: dict | None) -> str:
    """The chart in words, for screen readers and for when the image is not shown."""
    values = ", ".join(f"{name} {fmt(name, metrics.get(name))}" for name in UNIT_METRICS)
    text = f"Bar chart of the metrics from 0 to 1: {values}"
    if deltas:
        changes = ", ".join(
            f"{name} {fmt_delta(name, deltas[name]['delta'])}"
            for name in UNIT_METRICS
            if deltas[name]["delta"] is not None
        )
        text += f". Change against the compared report: {changes or 'nothing measured in both'}"
    return text + "."


def print_summary(report: dict) -> None:
    """The metrics as a table on the terminal (with the compared values when there are any)."""
    from rich.console import Console
    from rich.markup import escape
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
    console = Console()
    console.print(table)
    if bench := report.get("benchmark"):
        own = Table(title=f"{bench['name']}: its own measures")
        own.add_column("")
        for column in bench["columns"]:
            own.add_column(column, justify="right")
        for row in bench["rows"]:
            own.add_row(*(cell(v) for v in row))
        console.print(own)
        for note in bench.get("notes", []):
            console.print(escape(note))  # "[n]" is text, not rich markup
    for missing in report.get("unindexable", []):
        console.print(escape(f"not indexed: {missing['source']}: {missing['reason']}"))

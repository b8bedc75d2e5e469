"""Several evaluation runs side by side: one bar per run for every [0, 1] metric (PNG)."""

from __future__ import annotations

from pathlib import Path

from eval.metrics import LOWER_IS_BETTER, UNIT_METRICS


def draw_runs(runs: list[tuple[str, dict]], path: Path) -> Path:
    """`runs`: (label, metrics) pairs; a metric a run did not measure is left blank."""
    from matplotlib.figure import Figure  # slow to import, and an optional extra

    figure = Figure(figsize=(7.5, 0.42 * len(UNIT_METRICS) + 1.2), dpi=100, layout="tight")
    axis = figure.subplots()
    height = 0.8 / len(runs)
    for i, (label, metrics) in enumerate(runs):
        rows = [r + (i - (len(runs) - 1) / 2) * height for r in range(len(UNIT_METRICS))]
        values = [metrics.get(name) or 0.0 for name in UNIT_METRICS]
        axis.barh(rows, values, height=height, label=label)
    names = [f"{m} (lower is better)" if m in LOWER_IS_BETTER else m for m in UNIT_METRICS]
    axis.set_yticks(range(len(UNIT_METRICS)), names, fontsize=8)
    axis.set_ylim(len(UNIT_METRICS) - 0.5, -0.5)
    axis.set_xlim(0, 1)
    axis.grid(axis="x", color="#ddd")
    axis.legend(fontsize=8, loc="lower right")
    axis.set_title("Metrics by run", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=200)
    return path

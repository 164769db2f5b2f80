"""PNG charts of a `make bench` result: each read's ratio to the floor (with its
target), and the hold latency distribution. Called by bench/run.py after a run;
``python bench/charts.py bench/results/latest-sqlite.json`` redraws from a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt


def write_charts(result: dict, out_dir: Path, prefix: str) -> list[Path]:
    out_dir = Path(out_dir)
    written = [_ratios(result, out_dir / f"{prefix}-ratios.png")]
    hold = result.get("hold_cancel")
    if hold and hold.get("hold_latencies_ms"):
        written.append(_holds(result, out_dir / f"{prefix}-holds.png"))
    return written


def _title(result: dict, what: str) -> str:
    machine = result["machine"]
    load = machine.get("load_average_at_start", ["?"])[0]
    return (
        f"{what}: {result['backend']}, {machine['cores']} cores, "
        f"{result['params']['gunicorn'].split(',')[0]}, load {load} at start"
    )


def _ratios(result: dict, path: Path) -> Path:
    reads = result["reads"]
    names = [r["scenario"] for r in reads]
    ratios = [r["ratio"] for r in reads]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    colors = [
        "#2a9d8f" if r["target"] is None or r["ratio"] >= r["target"] else "#e76f51"
        for r in reads
    ]
    bars = ax.bar(names, ratios, color=colors)
    for index, read in enumerate(reads):
        if read["target"] is not None:
            ax.hlines(
                read["target"],
                index - 0.4,
                index + 0.4,
                colors="black",
                linestyles="--",
            )
    for bar, value in zip(bars, ratios, strict=True):
        ax.annotate(
            f"{value:.2f}",
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
        )
    ax.set_ylabel("req/s ÷ bare-WSGI floor req/s (median of rounds)")
    ax.set_ylim(0, max(1.05, max(ratios) * 1.15))
    ax.set_title(_title(result, "Reads vs the floor (dashed: target)"), fontsize=9)
    ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _holds(result: dict, path: Path) -> Path:
    hold = result["hold_cancel"]
    values = sorted(hold["hold_latencies_ms"])
    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(10, 4))
    hist.hist(values, bins=50, color="#264653")
    hist.set_xlabel("hold latency (ms)")
    hist.set_ylabel("holds")
    n = len(values)
    cdf.plot(values, [(i + 1) / n for i in range(n)], color="#264653")
    cdf.axvline(50, color="#e76f51", linestyle="--", label="target p99 < 50 ms")
    p99 = hold["hold"]["p99_ms"]
    cdf.axvline(p99, color="black", linestyle=":", label=f"p99 {p99} ms")
    cdf.set_xlabel("hold latency (ms)")
    cdf.set_ylabel("fraction of holds")
    cdf.legend(loc="lower right")
    fig.suptitle(
        _title(result, f"Holds, {hold['clients']} closed-loop clients")
        + f"; {hold['cycles_per_s']} hold+cancel cycles/s",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    source = Path(sys.argv[1])
    data = json.loads(source.read_text())
    for chart in write_charts(data, source.parent, source.stem):
        print(chart)

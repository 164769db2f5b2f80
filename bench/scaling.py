"""Seat-map reads and holds with 1, 2 and 4 gunicorn workers (docs/SCALING.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/scaling.py

Runs bench/run.py once per worker count (a shorter run: the seat map and its
revalidation, the write floor, hold + cancel; no small database, no sell-out), then
writes bench/results/scaling-<backend>.json and .png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
WORKERS = (1, 2, 4)


def main() -> int:
    backend = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    points = []
    for workers in WORKERS:
        tag = f"scaling-w{workers}"
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "run.py"),
                "--workers",
                str(workers),
                "--only",
                "seat_map,seat_map_304",
                "--skip-small",
                "--skip-sellout",
                "--rounds",
                "1",
                "--seconds",
                "4",
                "--hold-seconds",
                "6",
                "--tag",
                tag,
            ],
            check=True,
        )
        result = json.loads((RESULTS / f"{tag}-{backend}.json").read_text())
        reads = {r["scenario"]: r for r in result["reads"]}
        hold = result["hold_cancel"]
        points.append(
            {
                "workers": workers,
                "seat_map_rps": reads["seat_map"]["project"]["rps"],
                "seat_map_floor_rps": reads["seat_map"]["floor"]["rps"],
                "seat_map_304_rps": reads["seat_map_304"]["project"]["rps"],
                "hold_cycles_per_s": hold["cycles_per_s"],
                "hold_p50_ms": hold["hold"]["p50_ms"],
                "hold_p99_ms": hold["hold"]["p99_ms"],
                "write_floor_per_s": result["write_floor"]["writes_per_s"],
                "load_average_at_start": result["machine"]["load_average_at_start"],
                "cache": result["params"]["cache"],
            }
        )
        for name in (f"{tag}-{backend}.json", f"{tag}.json"):
            (RESULTS / name).unlink(missing_ok=True)
        for chart in RESULTS.glob(f"{tag}-{backend}-*.png"):
            chart.unlink()
    out = RESULTS / f"scaling-{backend}.json"
    out.write_text(json.dumps(points, indent=1) + "\n")
    print(json.dumps(points, indent=1))
    _chart(points, RESULTS / f"scaling-{backend}.png", backend)
    return 0


def _chart(points: list[dict], path: Path, backend: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workers = [p["workers"] for p in points]
    fig, (reads, holds) = plt.subplots(1, 2, figsize=(10, 4))
    reads.plot(workers, [p["seat_map_rps"] for p in points], "o-", label="seat map")
    reads.plot(workers, [p["seat_map_304_rps"] for p in points], "o-", label="304")
    reads.plot(workers, [p["seat_map_floor_rps"] for p in points], "o--", label="floor")
    reads.set_xlabel("gunicorn workers")
    reads.set_ylabel("req/s")
    reads.set_xticks(workers)
    reads.legend()
    holds.plot(
        workers, [p["hold_cycles_per_s"] for p in points], "o-", label="cycles/s"
    )
    holds.set_xlabel("gunicorn workers")
    holds.set_ylabel("hold + cancel cycles/s (16 clients)")
    holds.set_xticks(workers)
    twin = holds.twinx()
    twin.plot(workers, [p["hold_p99_ms"] for p in points], "s:", color="#e76f51")
    twin.set_ylabel("hold p99 ms", color="#e76f51")
    fig.suptitle(f"Scaling with workers: {backend}, cache {points[0]['cache']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(path)


if __name__ == "__main__":
    sys.exit(main())

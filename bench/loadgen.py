"""Load generators for bench/run.py: wrk for reads, Python threads for booking flows.

Reads go through wrk (Debian's package; ``ensure_wrk`` installs it when it is
missing and apt is usable). Without wrk, a threaded Python client stands in and
the results say so: it can saturate before the server does.

Writes need per-user tokens, ids from one response used in the next request, and
per-operation latencies, so they run as one Python thread per client, one TCP
connection per request (gunicorn's sync workers close every connection anyway).
The clients spend most of their time waiting on the server; the harness reports
its own CPU time next to the results so that can be checked.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import resource
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
REPORT_LUA = Path(__file__).with_name("report.lua")


# --- helpers -------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (wrk reports the same kind)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def http_call(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: dict | None = None,
    timeout: float = 30.0,
    extra_headers: dict | None = None,
) -> tuple[int, bytes, float]:
    """One request on a fresh connection: (status, body, seconds); status 0 = no answer."""
    headers = {"Accept": "application/json", **(extra_headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, payload, time.perf_counter() - started
    except OSError:
        return 0, b"", time.perf_counter() - started
    finally:
        conn.close()


def _json(payload: bytes) -> dict:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- reads -----------------------------------------------------------------------------


@dataclass
class ReadRun:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers + socket errors + timeouts
    error_detail: dict
    seconds: float
    generator_cpu: float  # CPU seconds the generator used (of 2 cores)
    server_cpu: float | None = None  # CPU seconds the server's workers used
    other_cpu: float | None = None  # CPU seconds everything else on the machine used

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu is None or not self.requests:
            return None
        return 1000 * self.server_cpu / self.requests

    def as_dict(self) -> dict:
        return {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in asdict(self).items()
        }


def ensure_wrk() -> tuple[str | None, str]:
    """Return (path to wrk or None, a note for the report)."""
    path = shutil.which("wrk")
    if path:
        return path, "wrk (already installed)"
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk is missing: installing it with apt-get (Debian's package) ...")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        lock = ["-o", "DPkg::Lock::Timeout=180"]
        subprocess.run(["apt-get", *lock, "update", "-qq"], check=False, **quiet)
        subprocess.run(
            ["apt-get", *lock, "install", "-y", "-qq", "wrk"], check=False, **quiet
        )
        path = shutil.which("wrk")
        if path:
            return path, "wrk (installed by the harness with apt-get)"
    return None, (
        "Python threaded client (wrk could not be installed): the generator may "
        "be the bottleneck, ratios understate the project and the floor alike"
    )


def run_wrk(
    wrk: str,
    url: str,
    *,
    seconds: float,
    threads: int,
    connections: int,
    headers: dict | None = None,
) -> ReadRun:
    before = children_cpu_seconds()
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(REPORT_LUA),
        *(
            arg
            for name, value in (headers or {}).items()
            for arg in ("-H", f"{name}: {value}")
        ),
        url,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    cpu = children_cpu_seconds() - before
    match = re.search(r"^BENCH_JSON (\{.*\})$", out.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    raw = json.loads(match.group(1))
    duration = raw["duration_us"] / 1e6
    detail = {k: raw[k] for k in ("status", "connect", "read", "write", "timeout")}
    return ReadRun(
        rps=raw["requests"] / duration,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        requests=raw["requests"],
        errors=sum(detail.values()),
        error_detail=detail,
        seconds=duration,
        generator_cpu=cpu,
    )


def run_python_get(
    port: int,
    path: str,
    *,
    seconds: float,
    connections: int,
    headers: dict | None = None,
) -> ReadRun:
    """Fallback when wrk is unavailable: `connections` threads looping GETs."""
    latencies: list[float] = []
    errors = {"status": 0, "connect": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    cpu_before = time.process_time()

    def worker() -> None:
        mine, bad, failed = [], 0, 0
        while time.perf_counter() < deadline:
            status, _body, elapsed = http_call(
                port, "GET", path, timeout=10, extra_headers=headers
            )
            mine.append(elapsed)
            if status == 0:
                failed += 1
            elif status >= 400:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors["status"] += bad
            errors["connect"] += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    duration = time.perf_counter() - started
    ms = [v * 1000 for v in latencies]
    return ReadRun(
        rps=len(latencies) / duration,
        p50_ms=percentile(ms, 50) or 0.0,
        p90_ms=percentile(ms, 90) or 0.0,
        p99_ms=percentile(ms, 99) or 0.0,
        max_ms=max(ms, default=0.0),
        requests=len(latencies),
        errors=sum(errors.values()),
        error_detail=errors,
        seconds=duration,
        generator_cpu=time.process_time() - cpu_before,
    )


# --- writes ----------------------------------------------------------------------------


@dataclass
class OpStats:
    """Latencies and status codes of one kind of operation."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, seconds: float) -> None:
        self.latencies_ms.append(seconds * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def merge(self, other: OpStats) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n

    def summary(self) -> dict:
        values = self.latencies_ms
        return {
            "count": len(values),
            "p50_ms": _round(percentile(values, 50)),
            "p90_ms": _round(percentile(values, 90)),
            "p99_ms": _round(percentile(values, 99)),
            "max_ms": _round(max(values, default=None)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "server_errors": sum(n for s, n in self.statuses.items() if s >= 500),
            "no_answer": self.statuses.get(0, 0),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def hold_cancel(
    port: int,
    *,
    showtime: int,
    labels: list[str],
    tokens: list[str],
    seconds: float,
    seats_per_hold: int = 2,
) -> dict:
    """Each client holds seats of its own slice of `labels`, then cancels, in a loop."""
    clients = len(tokens)
    holds, cancels = OpStats(), OpStats()
    unexpected: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def cycle(token: str, seats: list[str], mine_h: OpStats, mine_c: OpStats) -> None:
        body = {"showtime": showtime, "seats": seats}
        status, payload, elapsed = http_call(
            port, "POST", "/api/reservations/", token=token, body=body
        )
        mine_h.add(status, elapsed)
        if status != 201:
            with lock:
                unexpected.append(f"hold {status}: {payload[:200]!r}")
            return
        reservation = _json(payload).get("id")
        status, payload, elapsed = http_call(
            port, "DELETE", f"/api/reservations/{reservation}/", token=token
        )
        mine_c.add(status, elapsed)
        if status not in (200, 204):
            with lock:
                unexpected.append(f"cancel {status}: {payload[:200]!r}")

    def client(index: int) -> None:
        token = tokens[index]
        mine = labels[index::clients]
        pairs = [
            mine[i : i + seats_per_hold]
            for i in range(0, len(mine) - seats_per_hold + 1, seats_per_hold)
        ]
        cycle(token, pairs[-1], OpStats(), OpStats())  # warm-up, not measured
        mine_h, mine_c = OpStats(), OpStats()
        barrier.wait()
        stop_at = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < stop_at:
            cycle(token, pairs[n % len(pairs)], mine_h, mine_c)
            n += 1
        with lock:
            holds.merge(mine_h)
            cancels.merge(mine_c)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu_before = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "cycles_per_s": round(holds.summary()["count"] / elapsed, 1),
        "hold": holds.summary(),
        "cancel": cancels.summary(),
        # For the latency chart: every hold's latency, to 0.1 ms.
        "hold_latencies_ms": [round(v, 1) for v in holds.latencies_ms],
        "unexpected": unexpected[:10],
        "unexpected_count": len(unexpected),
        "client_cpu_seconds": round(time.process_time() - cpu_before, 2),
    }


def write_floor(port: int, *, clients: int, seconds: float) -> dict:
    """The write floor: ``clients`` closed-loop clients POSTing to the floor's
    ``/__write`` (one INSERT transaction each), on fresh connections like the holds."""
    stats = OpStats()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        mine = OpStats()
        http_call(port, "POST", "/__write")  # warm-up, not measured
        barrier.wait()
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            status, _payload, elapsed = http_call(port, "POST", "/__write")
            mine.add(status, elapsed)
        with lock:
            stats.merge(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    summary = stats.summary()
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "writes_per_s": round(summary["count"] / elapsed, 1),
        "write": summary,
    }


def sell_out(
    port: int,
    *,
    showtime: int,
    tokens: list[str],
    max_seconds: float,
    seed: int = 5,
    purchase: bool = True,
) -> dict:
    """Customers grab random free seats (1-4 at a time) until the showtime is full.

    Each customer reads the seat map, then tries seats it believes free; after a
    409 (which names the seats that were taken) it reads the seat map again, as a
    booking page would; it stops when the seat map shows no free seat. A won hold
    is purchased at once.
    """
    seat_map_path = f"/api/showtimes/{showtime}/seats/"
    holds, purchases, maps = OpStats(), OpStats(), OpStats()
    won: list[tuple[str, ...]] = []  # seats of every 201 hold, across customers
    unexpected: list[str] = []
    last_win = [0.0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)

    def free_seats() -> set[str] | None:
        status, payload, elapsed = http_call(port, "GET", seat_map_path)
        maps.add(status, elapsed)
        if status != 200:
            return None
        entries = json.loads(payload)
        if isinstance(entries, dict):  # tolerate an envelope such as {"seats": [...]}
            entries = entries.get("seats") or entries.get("results") or []
        return {e["label"] for e in entries if e.get("status") == "available"}

    def customer(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        token = tokens[index]
        mine_h, mine_p, wins = OpStats(), OpStats(), []
        barrier.wait()
        deadline = time.perf_counter() + max_seconds
        free = free_seats() or set()
        while time.perf_counter() < deadline:
            if not free:
                free = free_seats()
                if free is None:
                    time.sleep(0.05)
                    free = set()
                    continue
                if not free:
                    break
            k = min(len(free), rng.choice([1, 2, 2, 3, 4]))
            pick = rng.sample(sorted(free), k)
            status, payload, elapsed = http_call(
                port,
                "POST",
                "/api/reservations/",
                token=token,
                body={"showtime": showtime, "seats": pick},
            )
            mine_h.add(status, elapsed)
            if status == 201:
                free.difference_update(pick)
                wins.append(tuple(sorted(pick)))
                with lock:
                    last_win[0] = time.perf_counter()
                if purchase:
                    reservation = _json(payload).get("id")
                    status, payload, elapsed = http_call(
                        port,
                        "POST",
                        f"/api/reservations/{reservation}/purchase/",
                        token=token,
                        body={},
                    )
                    mine_p.add(status, elapsed)
                    if status != 200:
                        with lock:
                            unexpected.append(f"purchase {status}: {payload[:200]!r}")
            elif status == 409:
                # As a booking page would: drop the seats it named, reload the map.
                details = _json(payload).get("error", {}).get("details", {})
                taken = details.get("seats") if isinstance(details, dict) else None
                free.difference_update(taken or pick)
                fresh = free_seats()
                if fresh is not None:
                    free = fresh
            else:
                free.difference_update(pick)
                with lock:
                    unexpected.append(f"hold {status}: {payload[:200]!r}")
        with lock:
            holds.merge(mine_h)
            purchases.merge(mine_p)
            won.extend(wins)

    threads = [threading.Thread(target=customer, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu_before = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    seats_won = [seat for block in won for seat in block]
    return {
        "customers": len(tokens),
        "seconds_to_last_hold": round(last_win[0] - started, 2) if won else None,
        "seconds_until_all_done": round(finished - started, 2),
        "timed_out": finished - started >= max_seconds,
        "holds_won": len(won),
        "seats_won": len(seats_won),
        "seats_won_twice_client_view": len(seats_won) - len(set(seats_won)),
        "hold": holds.summary(),
        "purchase": purchases.summary(),
        "seat_map": maps.summary(),
        "server_errors": sum(
            s.summary()["server_errors"] for s in (holds, purchases, maps)
        ),
        "unexpected": unexpected[:10],
        "unexpected_count": len(unexpected),
        "client_cpu_seconds": round(time.process_time() - cpu_before, 2),
    }

"""`make bench`: seed a fresh database, serve the project and its floor, measure, report.

What it does, in order (see bench/README.md for the method and how to read it):

1. Creates fresh databases: SQLite files in a temporary directory by default; with
   DATABASE_URL set, databases ``movie_api_bench`` and ``movie_api_bench_small``
   on that PostgreSQL server (the database named in the URL is never touched).
2. Migrates both and seeds them in bulk (bench/seed.py): the full data set
   (21,000 showtimes, ~40,000 reservations) and a small one (200 showtimes).
3. Serves the project under gunicorn with its own gunicorn.conf.py, 2 sync workers,
   debug off, access log off, and warms every worker; fetches each read scenario's
   response once and serves those bytes from the floor (bench/floor.py) under the
   same gunicorn settings.
4. Read scenarios: wrk, alternating project and floor, three rounds each; the
   ratio is the median of the per-round req/s ratios project/floor.
5. Showtimes-for-a-date latency on the small vs the full database (one connection,
   alternating), hold + cancel cycles by 16 clients, and the sell-out of the hot
   showtime by 50 customers, followed by the double-sale check in the database.
6. Prints the table and writes bench/results/latest-<backend>.json.

All traffic goes to 127.0.0.1. Every server it starts is stopped on exit.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import loadgen

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
PG_DB = "movie_api_bench"
THROTTLE_SCOPES = ("ANON", "USER", "HOLD")
TARGETS = {
    "seat_map": 0.6,
    "seat_map_304": 0.7,
    "showtimes_date": 0.5,
    "movie_list": 0.5,
}
# Request headers per read scenario (the revalidation sends the seat map's ETag).
PAGE_ROWS = 100  # showtimes_page100: CPU per row is reported for this page
# BENCH_PORTS=18600-18699 keeps every server the harness starts in that range (on a
# shared machine); unset, the kernel picks free ports.
PORT_RANGE = os.environ.get("BENCH_PORTS", "")
WORKERS = 2


# --- servers ---------------------------------------------------------------------------


_ports_used: set[int] = set()


def free_port() -> int:
    candidates = [0]
    if PORT_RANGE:
        low, high = (int(x) for x in PORT_RANGE.split("-"))
        candidates = [p for p in range(low, high + 1) if p not in _ports_used]
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = sock.getsockname()[1]
            _ports_used.add(port)
            return port
    raise RuntimeError(f"bench: no free port in BENCH_PORTS={PORT_RANGE}")


class Server:
    """A gunicorn master in its own session, stopped by its own process group id."""

    def __init__(self, name: str, app: str, env: dict, log_dir: Path) -> None:
        self.name, self.app = name, app
        self.port = free_port()
        self.env = {
            **env,
            "WEB_CONCURRENCY": str(WORKERS),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                GUNICORN,
                "-c",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                self.app,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url(path), timeout=2):
                    pass
                if len(self.worker_pids()) >= WORKERS:
                    return
            except urllib.error.HTTPError:
                if len(self.worker_pids()) >= WORKERS:
                    return  # it answers; a 404 is an answer
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} did not start; log:\n{self.log_path.read_text()[-3000:]}"
        )

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB."""
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return sizes

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def log_problems(self) -> dict:
        text = (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )
        return {
            "tracebacks": text.count("Traceback (most recent call last)"),
            "worker_timeouts": text.count("WORKER TIMEOUT"),
            "error_lines": sum(1 for line in text.splitlines() if "[ERROR]" in line),
        }


# --- databases -------------------------------------------------------------------------


class Databases:
    """The full and the small benchmark database, on SQLite files or PostgreSQL."""

    def __init__(self, tmp: Path, server_url: str | None) -> None:
        self.tmp, self.server_url = tmp, server_url
        self.backend = "postgresql" if server_url else "sqlite"

    def url(self, small: bool = False) -> str:
        if self.server_url:
            name = PG_DB + ("_small" if small else "")
            parts = urlsplit(self.server_url)
            return urlunsplit(parts._replace(path=f"/{name}", query=""))
        return f"sqlite:///{self.path(small)}"

    def path(self, small: bool = False) -> Path:
        return self.tmp / ("bench_small.sqlite3" if small else "bench.sqlite3")

    def hold_open(self) -> list:
        """Keep a connection open to each SQLite file for the whole run.

        With CONN_MAX_AGE=0 a worker closes its connection after every request, and
        when the last connection to a WAL database closes, SQLite checkpoints the WAL
        and deletes it; that happens at every request of a lone client, and did on
        the small database only (the floor keeps a connection open on the full one),
        making it look twice as slow. A live site always has some connection open.
        """
        if self.server_url:
            return []
        return [sqlite3.connect(self.path(small)) for small in (False, True)]

    def floor_target(self) -> str:
        return self.url() if self.server_url else str(self.path())

    def create(self) -> None:
        if not self.server_url:
            return
        import psycopg
        from psycopg import sql

        admin = urlunsplit(urlsplit(self.server_url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (PG_DB, PG_DB + "_small"):
                ident = sql.Identifier(name)
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident)
                )
                conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))

    def drop(self) -> None:
        if not self.server_url:
            return
        import psycopg
        from psycopg import sql

        admin = urlunsplit(urlsplit(self.server_url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (PG_DB, PG_DB + "_small"):
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )

    def execute(self, sql_text: str) -> None:
        """One statement on the full database, committed."""
        if self.server_url:
            import psycopg

            with psycopg.connect(self.url()) as conn:
                conn.execute(sql_text)
            return
        with sqlite3.connect(self.path()) as conn:
            conn.execute(sql_text)

    def query(self, sql_text: str, params: tuple = ()) -> list[tuple]:
        """Raw SQL on the full database (for the invariant checks); %s placeholders."""
        if self.server_url:
            import psycopg

            with psycopg.connect(self.url()) as conn:
                return conn.execute(sql_text, params).fetchall()
        with sqlite3.connect(self.path()) as conn:
            return conn.execute(sql_text.replace("%s", "?"), params).fetchall()

    def server_version(self) -> str:
        if self.server_url:
            return self.query("SELECT version()")[0][0].split(" on ")[0]
        return f"SQLite {sqlite3.sqlite_version}"


def server_url_of(db: Databases) -> str | None:
    return db.server_url


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- measuring -------------------------------------------------------------------------


class Reader:
    """Runs one read measurement against a server with wrk (or the fallback)."""

    def __init__(self, wrk: str | None, threads: int, connections: int) -> None:
        self.wrk, self.threads, self.connections = wrk, threads, connections

    def run(
        self,
        server: Server,
        path: str,
        seconds: float,
        connections: int | None = None,
        headers: dict | None = None,
    ) -> loadgen.ReadRun:
        conns = connections or self.connections
        threads = min(self.threads, conns)
        cpu_before = server.cpu_seconds()
        busy_before = loadgen.machine_busy_seconds()
        if self.wrk:
            result = loadgen.run_wrk(
                self.wrk,
                server.url(path),
                seconds=seconds,
                threads=threads,
                connections=conns,
                headers=headers,
            )
        else:
            result = loadgen.run_python_get(
                server.port, path, seconds=seconds, connections=conns, headers=headers
            )
        result.server_cpu = server.cpu_seconds() - cpu_before
        busy = loadgen.machine_busy_seconds() - busy_before
        result.other_cpu = max(0.0, busy - result.server_cpu - result.generator_cpu)
        return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure_read(
    reader: Reader,
    project: Server,
    floor: Server,
    name: str,
    path: str,
    *,
    rounds: int,
    seconds: float,
    headers: dict | None = None,
) -> dict:
    reader.run(project, path, 1.0, connections=4, headers=headers)  # warm-up
    reader.run(floor, path, 1.0, connections=4, headers=headers)
    runs: dict[str, list[loadgen.ReadRun]] = {"project": [], "floor": []}
    for _ in range(rounds):
        runs["project"].append(reader.run(project, path, seconds, headers=headers))
        runs["floor"].append(reader.run(floor, path, seconds, headers=headers))
    ratios = [
        p.rps / f.rps if f.rps else float("nan")
        for p, f in zip(runs["project"], runs["floor"], strict=True)
    ]

    def side(kind: str) -> dict:
        rs = runs[kind]
        return {
            "rps": round(median([r.rps for r in rs]), 1),
            "p50_ms": round(median([r.p50_ms for r in rs]), 2),
            "p99_ms": round(median([r.p99_ms for r in rs]), 2),
            "errors": sum(r.errors for r in rs),
            "server_cpu_ms_per_request": round(
                median([r.server_cpu_ms_per_request or 0.0 for r in rs]), 3
            ),
            "other_cpu_per_s": round(
                median([r.other_cpu / r.seconds for r in rs if r.seconds]), 2
            ),
            "rounds": [r.as_dict() for r in rs],
        }

    project_side, floor_side = side("project"), side("floor")
    return {
        "scenario": name,
        "path": path,
        "project": project_side,
        "floor": floor_side,
        "ratio": round(median(ratios), 3),
        # Robust to other load on the machine: server CPU per request, floor/project.
        "cpu_ratio": round(
            floor_side["server_cpu_ms_per_request"]
            / project_side["server_cpu_ms_per_request"],
            3,
        )
        if project_side["server_cpu_ms_per_request"]
        else None,
        "ratios": [round(r, 3) for r in ratios],
        "target": TARGETS.get(name),
        "headers": headers or {},
    }


def measure_date_latency(
    reader: Reader,
    small: Server,
    full: Server,
    path: str,
    *,
    rounds: int,
    seconds: float,
) -> dict:
    """Unloaded latency (one connection), small and full database interleaved."""
    servers = {"small": small, "full": full}
    for server in servers.values():
        reader.run(server, path, 2.0, connections=2)  # warm-up, not counted
    runs: dict[str, list[loadgen.ReadRun]] = {"small": [], "full": []}
    for index in range(rounds):
        order = ["small", "full"] if index % 2 == 0 else ["full", "small"]
        for kind in order:
            runs[kind].append(reader.run(servers[kind], path, seconds, connections=1))
    p50 = {k: median([r.p50_ms for r in v]) for k, v in runs.items()}
    cpu = {
        k: median([r.server_cpu_ms_per_request or 0.0 for r in v])
        for k, v in runs.items()
    }
    pair_ratios = [
        f.p50_ms / s.p50_ms for s, f in zip(runs["small"], runs["full"], strict=True)
    ]
    return {
        "path": path,
        "connections": 1,
        "small_p50_ms": round(p50["small"], 2),
        "full_p50_ms": round(p50["full"], 2),
        "small_p99_ms": round(median([r.p99_ms for r in runs["small"]]), 2),
        "full_p99_ms": round(median([r.p99_ms for r in runs["full"]]), 2),
        "ratio_full_to_small": round(p50["full"] / p50["small"], 3),
        "pair_ratios": [round(r, 3) for r in pair_ratios],
        "small_cpu_ms_per_request": round(cpu["small"], 2),
        "full_cpu_ms_per_request": round(cpu["full"], 2),
        "cpu_ratio_full_to_small": round(cpu["full"] / cpu["small"], 3)
        if cpu["small"]
        else None,
        "target": 1.5,
        "rounds": {k: [r.as_dict() for r in v] for k, v in runs.items()},
    }


def fetch(server: Server, path: str, with_etag: bool = False):
    """(status, content type, body), plus the ETag with ``with_etag``."""
    request = urllib.request.Request(server.url(path), headers={"Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.status, response.headers["Content-Type"], response.read()
            etag = response.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        answer = exc.code, exc.headers.get("Content-Type", ""), exc.read()
        etag = None
    return (*answer, etag) if with_etag else answer


def check_hot_showtime(db: Databases, showtime: int) -> dict:
    """After the sell-out: nothing sold twice, and nothing left to sell."""
    double_active = db.query(
        "SELECT COUNT(*) FROM (SELECT seat_id FROM reservations_reservedseat"
        " WHERE showtime_id = %s AND is_active GROUP BY seat_id"
        " HAVING COUNT(*) > 1) AS t",
        (showtime,),
    )[0][0]
    double_confirmed = db.query(
        "SELECT COUNT(*) FROM (SELECT rs.seat_id FROM reservations_reservedseat rs"
        " JOIN reservations_reservation r ON r.id = rs.reservation_id"
        " WHERE r.showtime_id = %s AND r.status = 'confirmed'"
        " GROUP BY rs.seat_id HAVING COUNT(DISTINCT r.id) > 1) AS t",
        (showtime,),
    )[0][0]
    double_tickets = db.query(
        "SELECT COUNT(*) FROM (SELECT t.seat_id FROM reservations_ticket t"
        " JOIN reservations_reservation r ON r.id = t.reservation_id"
        " WHERE r.showtime_id = %s AND NOT t.is_void"
        " GROUP BY t.seat_id HAVING COUNT(*) > 1) AS t",
        (showtime,),
    )[0][0]
    capacity, claimed = db.query(
        "SELECT sc.capacity, (SELECT COUNT(DISTINCT rs.seat_id)"
        " FROM reservations_reservedseat rs WHERE rs.showtime_id = s.id"
        " AND rs.is_active) FROM showtimes_showtime s"
        " JOIN theaters_screen sc ON sc.id = s.screen_id WHERE s.id = %s",
        (showtime,),
    )[0]
    return {
        "seats_with_two_active_claims": double_active,
        "seats_in_two_confirmed_reservations": double_confirmed,
        "seats_with_two_valid_tickets": double_tickets,
        "capacity": capacity,
        "seats_claimed_at_end": claimed,
        "sold_out": claimed == capacity,
    }


# --- reporting -------------------------------------------------------------------------


def machine_info(db: Databases, generator: str) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = os.environ.get("BENCH_SOURCE_COMMIT", "")
    dirty = None
    if not commit:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            dirty = bool(
                subprocess.run(
                    ["git", "status", "--porcelain", "--untracked-files=no"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
        except OSError:
            commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "database": db.server_version(),
        "generator": generator,
        "commit": commit or "unknown",
        "uncommitted_changes": dirty,
    }


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(result: dict) -> None:
    print()
    print(
        f"== make bench: {result['backend']}, {result['machine']['cores']} cores, "
        f"{result['machine']['generator']}"
    )
    head = (
        f"{'scenario':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'floor r/s':>11}{'floor p50':>10}{'ratio':>8}{'cpu ratio':>10}{'target':>9}"
    )
    print(head)
    print("-" * len(head))
    for read in result["reads"]:
        p, f = read["project"], read["floor"]
        ok = ""
        if read["target"]:
            ok = f"{'>=':>3}{read['target']:.1f}" + (
                " ok" if read["ratio"] >= read["target"] else " MISS"
            )
        print(
            f"{read['scenario']:<22}{fmt(p['rps']):>9}{fmt(p['p50_ms'], 2):>9}"
            f"{fmt(p['p99_ms'], 2):>9}{p['errors']:>8}{fmt(f['rps']):>11}"
            f"{fmt(f['p50_ms'], 2):>10}{read['ratio']:>8.3f}{fmt(read['cpu_ratio'], 3):>10}  {ok}"
        )
        print(
            f"{'':<22}  ratios per round: {read['ratios']}; server CPU/request "
            f"{p['server_cpu_ms_per_request']} / {f['server_cpu_ms_per_request']} ms;"
            f" other processes used {p['other_cpu_per_s']} / "
            f"{f['other_cpu_per_s']} cores meanwhile"
        )
    date = result.get("date_latency")
    if date:
        verdict = "ok" if date["ratio_full_to_small"] <= 1.5 else "MISS"
        print(
            f"\nshowtimes for a date, 1 connection: p50 {date['small_p50_ms']} ms on "
            f"200 showtimes vs {date['full_p50_ms']} ms on 21,000 -> "
            f"{date['ratio_full_to_small']}x (target <= 1.5x: {verdict}); per pair "
            f"{date['pair_ratios']}; server CPU/request {date['small_cpu_ms_per_request']}"
            f" vs {date['full_cpu_ms_per_request']} ms"
        )
    hc = result.get("hold_cancel")
    if hc:
        h, c = hc["hold"], hc["cancel"]
        verdict = "ok" if (h["p99_ms"] or 1e9) < 50 else "MISS"
        print(
            f"hold + cancel, {hc['clients']} clients, {hc['seconds']} s: "
            f"{hc['cycles_per_s']} cycles/s; hold p50 {h['p50_ms']} ms, p99 "
            f"{h['p99_ms']} ms (target p99 < 50 ms: {verdict}); cancel p50 "
            f"{c['p50_ms']} ms, p99 {c['p99_ms']} ms; statuses hold {h['statuses']}"
            f" cancel {c['statuses']}; server CPU/request "
            f"{hc['server_cpu_ms_per_request']} ms"
        )
    so = result.get("sell_out")
    if so:
        inv = so["invariants"]
        doubles = (
            inv["seats_with_two_active_claims"]
            + inv["seats_in_two_confirmed_reservations"]
            + inv["seats_with_two_valid_tickets"]
            + so["seats_won_twice_client_view"]
        )
        print(
            f"sell-out, {so['customers']} customers: last seat held after "
            f"{so['seconds_to_last_hold']} s (all done {so['seconds_until_all_done']}"
            f" s); holds won {so['holds_won']} ({so['seats_won']} seats); hold p50 "
            f"{so['hold']['p50_ms']} ms p99 {so['hold']['p99_ms']} ms; statuses "
            f"{so['hold']['statuses']}; 5xx {so['server_errors']}; double sales "
            f"{doubles}; sold out: {inv['sold_out']}"
        )
    problems = result.get("server_logs", {})
    print(f"server logs: {problems}")


# --- main ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the API against its floor.")
    parser.add_argument("--seconds", type=float, default=5, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--hold-seconds", type=float, default=10)
    parser.add_argument("--hold-clients", type=int, default=16)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--sellout-timeout", type=float, default=120)
    parser.add_argument(
        "--throttle-rate",
        default="100000/s",
        help='rate for the anon, user and hold throttles ("off" to switch them off)',
    )
    parser.add_argument("--only", help="comma list of read scenarios to run")
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-sellout", action="store_true")
    parser.add_argument(
        "--profile-dir",
        help="also record py-spy profiles (raw collapsed stacks) of every read "
        "scenario into this directory",
    )
    parser.add_argument(
        "--serve",
        type=float,
        default=0,
        help="after seeding, keep the project up this many seconds and print its "
        "URL (for manual profiling); no measurements",
    )
    parser.add_argument("--results-dir", default=str(BENCH / "results"))
    parser.add_argument("--tag", default="latest")
    parser.add_argument("--note", default="")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers (project and floor)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    global WORKERS
    WORKERS = args.workers
    wrk, generator = loadgen.ensure_wrk()
    server_url = os.environ.get("DATABASE_URL", "").strip() or None
    if server_url and not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must be a postgres:// URL (or unset for SQLite)")
    tmp = Path(tempfile.mkdtemp(prefix="movie-api-bench-"))
    db = Databases(tmp, server_url)
    servers: list[Server] = []
    started = time.perf_counter()
    try:
        return run(args, wrk, generator, db, tmp, servers, started)
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            db.drop()
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept: {tmp} {db.url() if server_url else ''}")


def run(args, wrk, generator, db, tmp, servers, started) -> int:
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    base_env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Tokens are minted once at seed time and must outlive the run.
        JWT_ACCESS_MINUTES="120",
        PYTHONWARNINGS="ignore",
    )
    # One client address stands in for thousands of customers: raise the limits so
    # they never trigger, but keep the throttles (and their cache traffic) on.
    for scope in THROTTLE_SCOPES:
        base_env[f"THROTTLE_{scope}_RATE"] = args.throttle_rate
    # 66 benchmark users stand in for thousands of customers: the per-user hoarding
    # limits (5 holds, 10 held seats per showtime) would refuse the load generator.
    base_env.setdefault("RESERVATION_MAX_ACTIVE_HOLDS", "100000")
    base_env.setdefault("RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME", "100000")
    if base_env.get("REDIS_URL"):
        print(
            f"bench: shared cache (throttles, seat maps) in Redis at {base_env['REDIS_URL']}"
        )
    env_full = {**base_env, "DATABASE_URL": db.url()}
    env_small = {**base_env, "DATABASE_URL": db.url(small=True)}

    print(f"bench: {db.backend}; databases in {db.url()} (+ _small)")
    db.create()
    metas = {}
    for label, env in [("full", env_full)] + (
        [] if args.skip_small else [("small", env_small)]
    ):
        t0 = time.perf_counter()
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "createcachetable", "-v0")
        out = tmp / f"{label}.json"
        subprocess.run(
            [PY, str(BENCH / "seed.py"), "--profile", label, "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        metas[label] = json.loads(out.read_text())
        print(
            f"  {label}: migrated + seeded in {time.perf_counter() - t0:.1f} s "
            f"(seed {metas[label]['seed_seconds']} s): {metas[label]['counts']}"
        )
    meta = metas["full"]
    db.execute(
        "CREATE TABLE bench_write_floor (id "
        + ("BIGSERIAL" if server_url_of(db) else "INTEGER")
        + " PRIMARY KEY, at DOUBLE PRECISION)"
    )

    keep_open = db.hold_open()  # noqa: F841 (closed when run() returns)
    project = Server("project", "movie_api.wsgi:application", env_full, tmp).start()
    servers.append(project)
    small = None
    if not args.skip_small:
        small = Server("project-small", "movie_api.wsgi:application", env_small, tmp)
        servers.append(small.start())
        small.wait_ready("/api/health/")
    project.wait_ready("/api/health/")

    reads = {
        "seat_map": f"/api/showtimes/{meta['hot_showtime']}/seats/",
        # The same URL with If-None-Match: the seat map's ETag (a 304 each time).
        "seat_map_304": f"/api/showtimes/{meta['hot_showtime']}/seats/",
        "showtimes_date": f"/api/showtimes/?date={meta['date']}",
        # A page of 100 showtimes: CPU per row (the peer comparison).
        "showtimes_page100": (
            f"/api/showtimes/?date={meta['date']}&page_size={PAGE_ROWS}"
        ),
        "movie_list": "/api/movies/",
        "movie_detail": f"/api/movies/{meta['movie']}/",
        # Not a target: Django + DRF + throttles + SELECT 1, the framework's own floor.
        "health": "/api/health/",
    }
    if args.only:
        reads = {k: v for k, v in reads.items() if k in args.only.split(",")}

    if args.serve:
        print(
            f"serving {project.url('/')} for {args.serve:.0f} s; workers "
            f"{project.worker_pids()}; paths {reads}"
        )
        time.sleep(args.serve)
        return 0

    # Every scenario URL once per worker (and more), then the bytes the floor replays.
    reader = Reader(wrk, args.threads, args.connections)
    for path in reads.values():
        reader.run(project, path, 1.0, connections=4)
    bodies, sanity, read_headers = {}, {}, {}
    for name, path in reads.items():
        status, content_type, body, etag = fetch(project, path, with_etag=True)
        if status != 200:
            raise RuntimeError(f"{name}: {path} answered {status}: {body[:300]!r}")
        bodies[path] = {
            "status": status,
            "content_type": content_type,
            "body": base64.b64encode(body).decode(),
            "etag": etag,
        }
        sanity[name] = {"bytes": len(body)}
        if name == "seat_map_304":
            read_headers[name] = {"If-None-Match": etag}
        if name == "showtimes_page100":
            sanity[name]["rows"] = len(json.loads(body).get("results", []))
    if "seat_map" in reads:
        seat_map = json.loads(base64.b64decode(bodies[reads["seat_map"]]["body"]))
        entries = seat_map if isinstance(seat_map, list) else seat_map.get("seats", [])
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry["status"]] = counts.get(entry["status"], 0) + 1
        sanity["seat_map"]["statuses"] = counts
    status, _ct, body = fetch(project, f"/api/showtimes/{meta['hot_showtime']}/")
    if status == 200:
        shown = json.loads(body).get("available_seats")
        expected = meta["hot_capacity"] - meta["hot_taken"]
        sanity["hot_available_seats"] = {"api": shown, "seeded": expected}
        if shown != expected:
            print(
                f"WARNING: available_seats {shown} != seeded {expected}: "
                "does the seed fill every counter the booking code keeps?"
            )
    bodies_file = tmp / "floor-bodies.json"
    bodies_file.write_text(json.dumps(bodies))

    floor_env = {
        **base_env,
        "BENCH_FLOOR_BODIES": str(bodies_file),
        "BENCH_FLOOR_DATABASE": db.floor_target(),
        "BENCH_FLOOR_ROW": str(meta["hot_showtime"]),
    }
    floor = Server("floor", "bench.floor:application", floor_env, tmp).start()
    servers.append(floor)
    floor.wait_ready("/")
    for path in reads.values():
        _status, _type, body = fetch(floor, path)
        assert body == base64.b64decode(bodies[path]["body"]), (
            f"floor bytes differ: {path}"
        )

    result: dict = {
        "backend": db.backend,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(db, generator),
        "params": {
            "seconds_per_run": args.seconds,
            "rounds": args.rounds,
            "wrk_threads": args.threads,
            "connections": args.connections,
            "gunicorn": f"{WORKERS} sync workers, gunicorn.conf.py, DJANGO_DEBUG=0, "
            "access log off",
            "throttle_rate": args.throttle_rate,
            "cache": "redis" if os.environ.get("REDIS_URL") else "database table",
            "note": args.note,
        },
        "seed": {
            "full": {
                k: metas["full"][k] for k in ("counts", "seed_seconds", "timings")
            },
            "small": (
                {k: metas["small"][k] for k in ("counts", "seed_seconds")}
                if "small" in metas
                else None
            ),
        },
        "sanity": sanity,
        "reads": [],
    }

    for name, path in reads.items():
        print(f"  read {name}: {path} ...", flush=True)
        result["reads"].append(
            measure_read(
                reader,
                project,
                floor,
                name,
                path,
                rounds=args.rounds,
                seconds=args.seconds,
                headers=read_headers.get(name),
            )
        )
        last = result["reads"][-1]
        if name == "showtimes_page100":
            rows = sanity[name]["rows"] or 1
            last["rows"] = rows
            last["cpu_us_per_row"] = round(
                1000 * last["project"]["server_cpu_ms_per_request"] / rows, 1
            )
            last["floor_cpu_us_per_row"] = round(
                1000 * last["floor"]["server_cpu_ms_per_request"] / rows, 1
            )
        print(
            f"    project {last['project']['rps']} req/s, floor "
            f"{last['floor']['rps']} req/s, ratio {last['ratio']}",
            flush=True,
        )

    if small is not None and "showtimes_date" in reads:
        print("  showtimes for a date: 200 vs 21,000 showtimes ...", flush=True)
        result["date_latency"] = measure_date_latency(
            reader,
            small,
            project,
            reads["showtimes_date"],
            rounds=2 * args.rounds,
            seconds=2,
        )
        result["seed"]["small"]["date_first_page_rows"] = len(
            json.loads(fetch(small, reads["showtimes_date"])[2]).get("results", [])
        )

    if args.profile_dir:
        profile_reads(args, reader, project, reads, meta)

    if small is not None:
        small.stop()

    if not args.skip_writes:
        print("  write floor (one INSERT transaction per request) ...", flush=True)
        result["write_floor"] = loadgen.write_floor(
            floor.port, clients=args.hold_clients, seconds=args.hold_seconds / 2
        )
        print("  hold + cancel cycles ...", flush=True)
        tokens = meta["tokens"]
        cpu_before = project.cpu_seconds()
        result["hold_cancel"] = hold = loadgen.hold_cancel(
            project.port,
            showtime=meta["hold_showtime"],
            labels=meta["hold_free_labels"],
            tokens=tokens[: args.hold_clients],
            seconds=args.hold_seconds,
        )
        requests = hold["hold"]["count"] + hold["cancel"]["count"]
        hold["server_cpu_ms_per_request"] = round(
            1000 * (project.cpu_seconds() - cpu_before) / max(1, requests), 2
        )
        # Each hold and each cancel is one write transaction, as each floor write is.
        hold["booking_writes_per_s"] = round(requests / hold["seconds"], 1)
        floor_writes = result["write_floor"]["writes_per_s"]
        hold["write_ratio"] = (
            round(hold["booking_writes_per_s"] / floor_writes, 3)
            if floor_writes
            else None
        )
        floor.stop()
    if not args.skip_writes and not args.skip_sellout:
        tokens = meta["tokens"]
        print("  sell-out of the hot showtime ...", flush=True)
        cpu_before = project.cpu_seconds()
        sell = loadgen.sell_out(
            project.port,
            showtime=meta["hot_showtime"],
            tokens=tokens[args.hold_clients : args.hold_clients + args.customers],
            max_seconds=args.sellout_timeout,
        )
        requests = sum(sell[k]["count"] for k in ("hold", "purchase", "seat_map"))
        sell["server_cpu_ms_per_request"] = round(
            1000 * (project.cpu_seconds() - cpu_before) / max(1, requests), 2
        )
        sell["invariants"] = check_hot_showtime(db, meta["hot_showtime"])
        sell["seats_free_at_start"] = meta["hot_capacity"] - meta["hot_taken"]
        result["sell_out"] = sell

    result["rss_mb_per_worker"] = project.rss_mb()
    result["server_logs"] = {s.name: s.log_problems() for s in servers}
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(result)
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{args.tag}-{db.backend}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    (results_dir / f"{args.tag}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {out} and {args.tag}.json ({result['total_seconds']} s in all)")
    try:
        import charts

        for chart in charts.write_charts(
            result, results_dir, f"{args.tag}-{db.backend}"
        ):
            print(f"wrote {chart}")
    except ImportError as exc:
        print(f"no charts ({exc}): pip install -r requirements-dev.txt")
    return 0


def profile_reads(args, reader: Reader, project: Server, reads: dict, meta) -> None:
    """Record each read scenario, then hold + cancel, with py-spy (all workers)."""
    spy = shutil.which("py-spy") or str(Path(PY).with_name("py-spy"))
    if not Path(spy).exists():
        print("  py-spy not found: pip install py-spy; skipping profiles")
        return
    out_dir = Path(args.profile_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds = max(args.seconds, 8)
    jobs = [
        (name, lambda path=path: reader.run(project, path, seconds - 2))
        for name, path in reads.items()
    ]
    if not args.skip_writes:
        jobs.append(
            (
                "hold_cancel",
                lambda: loadgen.hold_cancel(
                    project.port,
                    showtime=meta["hold_showtime"],
                    labels=meta["hold_free_labels"],
                    tokens=meta["tokens"][: args.hold_clients],
                    seconds=seconds - 3,
                ),
            )
        )
    for name, job in jobs:
        target = out_dir / f"{name}.txt"
        spy_proc = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(project.proc.pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "250",
                "--duration",
                str(int(seconds)),
                "--nonblocking",
                "--output",
                str(target),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # let py-spy attach
        job()
        spy_proc.wait(timeout=seconds + 30)
        print(f"  profile {name}: {target}")


if __name__ == "__main__":
    sys.exit(main())

"""Summarise py-spy raw profiles (from `bench/run.py --profile-dir DIR`).

    python bench/profile_summary.py DIR/seat_map.txt [--top 25]

py-spy samples only frames that are on the CPU (not idle waits), so on PostgreSQL
the time a worker waits for the server is not in these numbers; on SQLite the
query runs inside the worker and is.

Prints, over the samples taken inside a request (gunicorn's handle_request):
- where the time goes, by component: the first component (from the outside in)
  whose frame is on the stack, split into "in a query" (under Django's cursor
  execute) and "Python";
- the functions with the largest inclusive share;
- the lines with the largest self share.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")

# (component, pattern on "func (file)") from the outside in; the first match owns the
# sample. Patterns are searched in each frame's "function (path)" text.
COMPONENTS = [
    (
        "DB connection open/close",
        r"close_old_connections|ensure_connection|\.connect \(django/db",
    ),
    ("throttles (cache get/set)", r"rest_framework/throttling|movie_api/throttling"),
    ("JWT authentication", r"rest_framework_simplejwt/authentication"),
    ("URL resolving", r"URLResolver\.resolve|resolve_request"),
    ("pagination COUNT(*)", r"Paginator\.count|get_count \(django"),
    ("filter backends", r"filter_queryset|django_filters/"),
    ("seat-map selector", r"get_seat_map"),
    ("get_object / lookup", r"get_object \(rest_framework|get_object_or_404"),
    ("booking service", r"reservations/services\.py"),
    ("reservation re-read for the response", r"ReservationViewSet\._fresh"),
    ("input validation", r"is_valid \(rest_framework|run_validation"),
    (
        "serializer (to_representation)",
        r"to_representation|ReturnList|ReturnDict|\.data \(rest_framework/serializers",
    ),
    ("JSON rendering", r"JSONRenderer\.render|rendered_content|json/encoder"),
    ("DRF dispatch (other)", r"APIView\.dispatch|APIView\.initial|finalize_response"),
    ("idempotency key bookkeeping", r"reservations/idempotency"),
    ("middleware", r"middleware"),
    ("Django handler (other)", r"WSGIHandler\.__call__"),
]
# What a sample is doing, decided by its innermost matching frame.
KINDS = [
    (
        "query execution",
        re.compile(
            r"_execute \(django/db/backends/utils\.py|execute \(psycopg/|get_new_connection|_close \(django/db"
        ),
    ),
    (
        "row fetch + conversion",
        re.compile(
            r"fetchmany|cursor_iter|results_iter|apply_converters|Iterable\.__iter__|from_db \(django|Model\.__init__"
        ),
    ),
    (
        "ORM SQL build",
        re.compile(
            r"as_sql|compile \(django|pre_sql_setup|setup_query|get_select|Query\.|_filter_or_exclude|QuerySet\._chain|QuerySet\.filter"
        ),
    ),
    ("JSON encode", re.compile(r"json/encoder|json/__init__")),
]


def parse(path: Path) -> list[tuple[list[str], int]]:
    samples = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [
            f for f in stack.split(";") if not f.startswith(("process ", "thread "))
        ]
        samples.append((frames, int(count)))
    return samples


def summarise(path: Path, top: int = 25) -> str:
    samples = [(f, n) for f, n in parse(path) if any("handle_request" in x for x in f)]
    total = sum(n for _, n in samples)
    if not total:
        return f"{path}: no samples inside requests"
    out = [f"{path.name}: {total} samples inside requests"]

    owners: Counter[tuple[str, str]] = Counter()
    for frames, n in samples:
        joined = "\n".join(frames)
        owner = "gunicorn / HTTP (outside Django)"
        for name, pattern in COMPONENTS:
            if re.search(pattern, joined):
                owner = name
                break
        kind = "Python"
        for frame in reversed(frames):
            found = next((k for k, rx in KINDS if rx.search(frame)), None)
            if found:
                kind = found
                break
        owners[(owner, kind)] += n
    out.append("\n  by component (first owner from the outside in):")
    by_owner: Counter[str] = Counter()
    for (owner, _kind), n in owners.items():
        by_owner[owner] += n
    for owner, n in by_owner.most_common():
        parts = ", ".join(
            f"{kind} {100 * m / total:.1f}%"
            for (o, kind), m in sorted(owners.items(), key=lambda kv: -kv[1])
            if o == owner
        )
        out.append(f"  {100 * n / total:5.1f}%  {owner:<34} ({parts})")
    kinds: Counter[str] = Counter()
    for (_owner, kind), m in owners.items():
        kinds[kind] += m
    out.append(
        "  by kind, any owner: "
        + ", ".join(f"{k} {100 * m / total:.1f}%" for k, m in kinds.most_common())
    )

    inclusive: Counter[str] = Counter()
    selfs: Counter[str] = Counter()
    for frames, n in samples:
        seen = set()
        for frame in frames:
            key = _short(frame, with_line=False)
            if key not in seen:
                inclusive[key] += n
                seen.add(key)
        selfs[_short(frames[-1], with_line=True)] += n
    skip = re.compile(
        r"gunicorn/|WSGIHandler|get_response|_get_response|inner \(|__call__ \(django/utils/deprecation|<module>|wsgiapp|view \(django/views|wrapper_view"
    )
    out.append(f"\n  top inclusive (excluding the request plumbing), top {top}:")
    shown = 0
    for key, n in inclusive.most_common():
        if skip.search(key):
            continue
        out.append(f"  {100 * n / total:5.1f}%  {key}")
        shown += 1
        if shown >= top:
            break
    out.append(f"\n  top self, top {top}:")
    for key, n in selfs.most_common(top):
        out.append(f"  {100 * n / total:5.1f}%  {key}")
    return "\n".join(out)


def _short(frame: str, *, with_line: bool) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    line = f":{match['line']}" if with_line and match["line"] else ""
    return f"{match['func']} ({file}{line})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.paths:
        print(summarise(path, args.top))
        print()


if __name__ == "__main__":
    main()

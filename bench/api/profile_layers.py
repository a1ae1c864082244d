"""Attribute py-spy samples to the layers of a request (pure functions, unit-tested).

py-spy's raw format is one collapsed stack per line: ``frame;frame;...;frame COUNT``,
root first, each frame ``function (path:line)``. A sample belongs to the highest-priority
layer found anywhere on its stack, so the JSON that the log formatter writes counts as
logging, and the socket wait inside a psycopg pipeline counts as the database driver.
"""

from __future__ import annotations

from collections import Counter

# (layer, path fragments), highest priority first.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logging (JSON access log)", ("innovate_api/logs.py", "/logging/")),
    ("metrics (prometheus)", ("prometheus_client/", "innovate_api/metrics.py")),
    ("auth: JWT verify", ("/jwt/",)),
    ("argon2", ("/argon2/",)),
    (
        "validation (pydantic/webargs)",
        ("/pydantic/", "/pydantic_core/", "/webargs/", "/marshmallow/", "/email_validator/"),
    ),
    ("db pool (psycopg_pool)", ("/psycopg_pool/",)),
    ("db driver (psycopg)", ("/psycopg/",)),
    ("json encode", ("/json/", "innovate_api/jsonio.py")),
    ("APIFlask + Flask-HTTPAuth", ("/apiflask/", "/flask_httpauth")),
    ("Flask + Werkzeug", ("/flask/", "/werkzeug/")),
    ("gunicorn (HTTP parse, socket)", ("/gunicorn/",)),
    ("application code", ("innovate_api/", "bare_app.py")),
)
OTHER = "other"


def layer_of(stack: str) -> str:
    for layer, fragments in LAYERS:
        if any(fragment in stack for fragment in fragments):
            return layer
    return OTHER


def attribute(raw: str) -> Counter[str]:
    """Samples per layer from py-spy's raw output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[layer_of(stack)] += int(count)
    return counts


def format_breakdown(
    per_target: dict[str, Counter[str]], rate: int, requests: dict[str, int]
) -> str:
    """Milliseconds per request in each layer, per target (samples / rate / requests).

    py-spy cannot tell a worker waiting on PostgreSQL's socket from one computing, so
    this is busy time (CPU plus waits on the database), not CPU alone: compare layers and
    targets with it, and take CPU per request from the benchmark table."""
    targets = list(per_target)
    layers = [name for name, _ in LAYERS] + [OTHER]
    header = f"{'layer (busy ms per request)':<36}" + "".join(f"{t:>10}" for t in targets)
    lines = [header, "-" * len(header)]
    totals = dict.fromkeys(targets, 0.0)
    for layer in layers:
        cells = []
        for t in targets:
            ms = per_target[t].get(layer, 0) / rate / max(requests[t], 1) * 1000
            totals[t] += ms
            cells.append(ms)
        if any(c >= 0.005 for c in cells):
            lines.append(f"{layer:<36}" + "".join(f"{c:>10.3f}" for c in cells))
    lines.append("-" * len(header))
    lines.append(f"{'total':<36}" + "".join(f"{totals[t]:>10.3f}" for t in targets))
    return "\n".join(lines)

"""Recording throughput and latency of `ledger serve`, beside a minimal reference endpoint.

    .venv/bin/python -m bench.api [--requests 300] [--clients 1,8,32] [--workers 1]
                                  [--postgres URL] [--ledger DIR | --schema S]

Starts, on free ports and a fresh SQLite directory or PostgreSQL schema (or on an existing
ledger, `--ledger DIR` or `--postgres URL --schema S`, which it records into: give it a copy),
(1) `ledger serve` and (2) a reference: a
bare FastAPI endpoint that inserts the same JSON body into a table of the same SQLite file the
ledger writes. Then, for each number of concurrent clients, POSTs one `commitment.made` decision
per request to each and prints a table of requests/s, p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def reference_app(db: str) -> Any:
    """The reference: parse the JSON body, insert it as one row, answer 201."""
    import orjson
    from fastapi import FastAPI, Response

    app = FastAPI()
    local = threading.local()

    if db.startswith("postgresql://"):  # same database and schema as the ledger
        import psycopg

        url, schema = db.split("?schema=")

        def pg() -> Any:
            if not hasattr(local, "conn"):
                local.conn = psycopg.connect(url, autocommit=True)
                local.conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "{schema}".reference '
                    "(id BIGSERIAL PRIMARY KEY, body BYTEA)"
                )
            return local.conn

        @app.post("/v1/decisions", status_code=201)
        def record_pg(body: dict[str, Any]) -> Response:
            data = orjson.dumps(body)
            row = (
                pg()
                .execute(
                    f'INSERT INTO "{schema}".reference (body) VALUES (%s) RETURNING id', (data,)
                )
                .fetchone()
            )
            return Response(orjson.dumps({"id": row[0]}), status_code=201)

        return app

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db, timeout=30, isolation_level=None)
            local.conn.execute("PRAGMA journal_mode=WAL")
            local.conn.execute(
                "CREATE TABLE IF NOT EXISTS reference (id INTEGER PRIMARY KEY, body BLOB)"
            )
        return local.conn  # type: ignore[no-any-return]

    @app.post("/v1/decisions", status_code=201)
    def record(body: dict[str, Any]) -> Response:
        data = orjson.dumps(body)
        cursor = conn().execute("INSERT INTO reference (body) VALUES (?)", (data,))
        return Response(orjson.dumps({"id": cursor.lastrowid}), status_code=201)

    return app


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server at {url} exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def _decision(i: int) -> dict[str, Any]:
    return {
        "kind": "commitment.made",
        "commitment": f"bench-{i}",
        "promise": "Ik zal u informeren in een volgende voortgangsbrief",
        "due_on": "2022-07-01",
        "decided_by": ["minister-jenv"],
        "effective_on": "2022-02-03",
        "source": "Kamerstuk 25124-109",
    }


def _run(url: str, headers: dict[str, str], clients: int, total: int, start: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(start, start + total))

    def worker() -> None:
        with httpx.Client(headers=headers, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                began = time.perf_counter()
                response = client.post(url, json=_decision(i))
                took = time.perf_counter() - began
                if response.status_code != 201:
                    raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.append(time.perf_counter() - began)  # last: the wall time
    return latencies


def _row(name: str, clients: int, result: list[float]) -> str:
    wall, lat = result[-1], sorted(result[:-1])
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return (
        f"| {name:<10} | {clients:>3} | {len(lat) / wall:>8.0f} | "
        f"{statistics.median(lat) * 1000:>7.1f} | {p99 * 1000:>7.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reference-server", nargs=2, metavar=("PORT", "DB"))
    parser.add_argument(
        "--postgres", default=None, help="postgresql://user@host:port/db (default: SQLite)"
    )
    parser.add_argument("--ledger", type=Path, help="an existing SQLite data directory")
    parser.add_argument("--schema", help="with --postgres: an existing schema")
    args = parser.parse_args()
    if args.reference_server:
        import uvicorn

        port, db = args.reference_server
        uvicorn.run(reference_app(db), port=int(port), log_level="warning")
        return

    data = args.ledger or Path(tempfile.mkdtemp(prefix="bench-api-"))
    database = str(data / "ledger.sqlite")
    env = {**os.environ, "LEDGER_DATA_DIR": str(data), "LEDGER_DATABASE_URL": ""}
    if args.postgres:
        schema = args.schema or f"bench_api_{os.getpid()}"
        database = f"{args.postgres}?schema={schema}"
        env["LEDGER_DATABASE_URL"] = database
    cli = [sys.executable, "-c", "from api.cli import main; main()"]
    token = subprocess.run(
        [*cli, "tokens", "issue", "--role", "secretariat", "--name", "bench"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    ledger_port, reference_port = _free_port(), _free_port()
    ledger = subprocess.Popen(
        [
            *cli,
            "serve",
            "--port",
            str(ledger_port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    reference = subprocess.Popen(
        [sys.executable, __file__, "--reference-server", str(reference_port), database],
        env=env,
        cwd=ROOT,
    )
    try:
        _wait(f"http://127.0.0.1:{ledger_port}/v1/health", ledger)
        _wait(f"http://127.0.0.1:{reference_port}/docs", reference)
        auth = {"Authorization": f"Bearer {token}"}
        party = {
            "kind": "party.registered",
            "party": "minister-jenv",
            "name": "Minister van Justitie en Veiligheid",
            "party_kind": "minister",
            "decided_by": ["minister-jenv"],
            "effective_on": "2020-07-01",
            "source": "Kamerstuk 25124-109",
        }
        httpx.post(f"http://127.0.0.1:{ledger_port}/v1/decisions", json=party, headers=auth)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        head = httpx.get(f"http://127.0.0.1:{ledger_port}/v1/health").json()["head"]
        print(
            f"{args.requests} POSTs per row, {backend}, {args.workers} worker(s), "
            f"onto a ledger of {head} decisions"
        )
        print("| endpoint   | clients | req/s | p50 ms | p99 ms |")
        print("|---|---:|---:|---:|---:|")
        start = 0
        for clients in (int(c) for c in args.clients.split(",")):
            for name, url, headers in (
                ("ledger", f"http://127.0.0.1:{ledger_port}/v1/decisions", auth),
                ("reference", f"http://127.0.0.1:{reference_port}/v1/decisions", {}),
            ):
                result = _run(url, headers, clients, args.requests, start)
                start += args.requests
                print(_row(name, clients, result), flush=True)
    finally:
        for process in (ledger, reference):
            process.terminate()
            process.wait(timeout=20)
        if args.postgres and not args.schema:
            import psycopg

            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()

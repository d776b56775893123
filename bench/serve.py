"""Benchmark: what an HTTP client waits for from a running `ledger serve`, beside a floor.

    .venv/bin/python -m bench.serve --backend sqlite --ledger DIR [--build 100000] [--queries 30]
    .venv/bin/python -m bench.serve --backend postgres --workers 4 \\
        --postgres 'postgresql://postgres@127.0.0.1:5432/test?schema=bench100k' [--build 100000]
    options: [--parties 500] [--seed 1] [--start-timeout 600] [--settle-timeout 600]
             [--out results.json]

The ledger is the SQLite data directory `--ledger DIR` or the PostgreSQL schema of `--postgres
URL?schema=S` (default URL: bench.common.POSTGRES_URL). With `--build N`, an empty ledger is
first given a synthetic history of about N decisions (`bench.synthetic`, `--parties` parties,
200 subjects, ten years from 2014); a built ledger is kept (never deleted) and reused.

Then, in one run:
1. issues an evaluator token (`ledger tokens issue`), and starts `ledger serve --workers N
   --log-level warning` as a subprocess on a free port;
2. start to first answer: the wall time from spawning the process until `GET /v1/health` first
   answers 200 (polled every 50 ms; a connection the kernel accepted waits for its answer);
3. resident memory (VmRSS) of each worker process (the server process itself with one worker,
   else the workers its fork server forked) at the first answer, once the workers are idle
   (their CPU time grew by less than 5% of a core over 2 s), and at the end;
4. once they are idle, for each endpoint (matrix, gaps first page with limit=100, gaps whole
   (every page of up to 10,000, following `next`), state, responsibilities of one random
   subject, the monitor of the two years up to the date (a point a month), the progress report
   of the half year up to it; `--only` picks some), `--queries` first-time as_of dates (random,
   distinct, within the history's effective dates, none asked before in the run) and then the
   same dates again ("repeated"), then the first-time question of median time asked as many
   times again ("one date": its p95/p50 is the server's own spread): each request timed from
   sending it to the last byte of its body, over one persistent keep-alive connection (so, with
   several workers, one worker answers them all); its status and body size are kept;
5. beside each request, in this process, the endpoint's floor for the same date
   (`bench.floors`: its rows read with plain SQL from the same database, written out with
   orjson);
6. stops the server (SIGTERM, then SIGKILL after 30 s), also on errors and Ctrl-C.

Prints a Markdown table of medians (p50) and p95 per endpoint and row (first-time, repeated, one
date), the floor's median, its own p95/p50 (how much the dates asked differ in what they hold)
and the ratio to it, and the median body size; then start to first answer, memory per worker
(max and median) and the machine's load average (others' work on a shared machine shows there).
`--out FILE` writes everything measured as JSON.

The dates span ten years in which the governance grows, so the p95/p50 of the first-time and
repeated rows mostly shows how much later dates cost more than earlier ones; the "one date" row
shows the server's own spread. A ledger whose tables were written by another
version of the read model (`ledger.tables.MODEL`) is built again when it is opened: the start to
first answer then includes that.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import floors, synthetic
from bench.common import POSTGRES_URL
from domain.events import LEDGER_STREAM_ID
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.storage import open_store
from projections.progress import half_a_year_before

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from api.cli import main; main()"]
POLL = 0.05
"""Seconds between two health polls while the server starts."""
STOP_WAIT = 30.0
"""Seconds a stopping server may take before it is killed."""
IDLE_SHARE = 0.05
"""The workers are idle once their CPU time grows by less than this share of a core ..."""
IDLE_WINDOW = 2.0
"""... over this many seconds."""


@dataclass(frozen=True)
class Endpoint:
    """One question: its path for a date and subject, and its floor with its parameters."""

    name: str
    path: str
    floor: str
    floor_params: Callable[[str], dict[str, Any]] = lambda subject: {}
    pages: bool = False
    """Whether the answer comes in pages: then every page is asked for (following `next`) and
    the time and size are those of all pages together."""

    def url(self, as_of: date, subject: str) -> str:
        return self.path.format(
            as_of=as_of.isoformat(),
            subject=subject,
            half_a_year_before=half_a_year_before(as_of).isoformat(),
        )


ENDPOINTS = (
    Endpoint("matrix", "/v1/matrix?as_of={as_of}", "matrix"),
    Endpoint(
        "gaps (first page)",
        "/v1/gaps?as_of={as_of}&limit=100",
        "gaps",
        lambda subject: {"limit": 100},
    ),
    Endpoint("gaps (whole)", "/v1/gaps?as_of={as_of}&limit=10000", "gaps", pages=True),
    Endpoint("state", "/v1/state?as_of={as_of}", "state"),
    Endpoint(
        "responsibilities (one subject)",
        "/v1/responsibilities?as_of={as_of}&subject={subject}",
        "responsibilities",
        lambda subject: {"subject": subject},
    ),
    Endpoint("monitor (two years, monthly)", "/v1/monitor?to={as_of}", "monitor"),
    Endpoint(
        "progress (half a year)",
        "/v1/progress?from={half_a_year_before}&to={as_of}",
        "progress",
    ),
)


@dataclass
class Sample:
    """One request: what was asked, its status, seconds to the last byte, body bytes."""

    as_of: str
    subject: str
    status: int
    seconds: float
    size: int


@dataclass
class Row:
    """The requests of one endpoint (first-time, repeated or one date) and their floors."""

    endpoint: str
    asked: str
    samples: list[Sample] = field(default_factory=list)
    floor_seconds: list[float] = field(default_factory=list)
    floor_sizes: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def p95(self) -> float:
        return percentile([s.seconds for s in self.samples], 0.95)

    @property
    def floor_p50(self) -> float:
        return statistics.median(self.floor_seconds)

    @property
    def body_kb(self) -> float:
        return statistics.median(s.size for s in self.samples) / 1024

    def summary(self) -> dict[str, Any]:
        return {
            "p50_ms": self.p50 * 1000,
            "p95_ms": self.p95 * 1000,
            "p95_over_p50": self.p95 / self.p50,
            "floor_p50_ms": self.floor_p50 * 1000,
            "floor_p95_over_p50": percentile(self.floor_seconds, 0.95) / self.floor_p50,
            "ratio_p50_floor": self.p50 / self.floor_p50,
            "body_kb": self.body_kb,
            "floor_body_kb": statistics.median(self.floor_sizes) / 1024,
        }


@dataclass
class Results:
    """Everything one run measured."""

    backend: str
    workers: int
    decisions: int
    queries: int
    start_seconds: float = 0.0
    settle_seconds: float = 0.0
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    """VmRSS of each worker in MB: at the first answer, once idle, at the end."""
    rows: list[Row] = field(default_factory=list)
    reconnects: int = 0
    """How often the keep-alive connection had been closed by the server and was opened again."""
    load: dict[str, float] = field(default_factory=dict)
    """The machine's 1-minute load average before the requests and after them (others'
    work on a shared machine shows here)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for row, out in zip(self.rows, data["rows"], strict=True):
            out.update(row.summary())
        return data


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0.95: the value 95% of the values are at or below)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# --- the ledger -------------------------------------------------------------------------------


def recorded(settings: Settings) -> int:
    """How many decisions the ledger holds (read from the event store's last event)."""
    store = open_store(settings)
    try:
        last = list(store.events.get(LEDGER_STREAM_ID, desc=True, limit=1))
        return int(last[0].originator_version) if last else 0
    finally:
        store.close()


def build(settings: Settings, size: int, seed: int = 2022) -> int:
    """Record a synthetic history of about `size` decisions if the ledger is empty; return
    how many decisions it holds."""
    count = recorded(settings)
    if count:
        print(f"the ledger holds {count:,} decisions: not building", flush=True)
        return count
    print(f"building a synthetic history of ~{size:,} decisions ...", flush=True)
    started = time.perf_counter()
    step = [0]

    def progress(total: int) -> None:
        if total >= step[0]:
            print(f"  {total:,} decisions, {time.perf_counter() - started:.0f} s", flush=True)
            step[0] = total + max(1000, size // 20)

    ledger = Ledger(settings)
    try:
        count = synthetic.record(ledger, size, seed=seed, progress=progress)
    finally:
        ledger.close()
    print(f"built {count:,} decisions in {time.perf_counter() - started:.0f} s", flush=True)
    return count


# --- the server process -----------------------------------------------------------------------


def server_env(settings: Settings) -> dict[str, str]:
    """The environment that points `ledger` at the ledger of `settings`."""
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": settings.database_url or "",
        "LEDGER_DATA_DIR": str(settings.data_dir),
    }


def issue_token(settings: Settings) -> str:
    """A new evaluator token, issued by `ledger tokens issue`."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [*CLI, "tokens", "issue", "--role", "evaluator", "--name", name],
        env=server_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running `ledger serve`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def served(settings: Settings, workers: int, logs: Path) -> Iterator[Server]:
    """Run `ledger serve` on a free port while the block runs; stop it after, whatever happens."""
    port = free_port()
    log = logs / "server.log"
    command = ["serve", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    with log.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*CLI, *command],
            env=server_env(settings),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # (Ctrl-C reaches only this process, which stops it)
        )
    try:
        yield Server(process, port, log, started)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait, then SIGKILL the server's process group if it is still there."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_WAIT)


def wait_for_health(server: Server, timeout: float) -> float:
    """Seconds from spawning the server until GET /v1/health first answers 200."""
    deadline = server.started + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"ledger serve exited:\n{server.log_tail()}")
        if _health(server.port, deadline - time.perf_counter()) == 200:
            return time.perf_counter() - server.started
        time.sleep(POLL)
    raise RuntimeError(f"ledger serve did not answer in {timeout:.0f} s:\n{server.log_tail()}")


def _health(port: int, wait: float) -> int | None:
    """GET /v1/health once: its status, or None if nothing answers (yet)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.connect()  # refused until the server listens ...
        assert conn.sock is not None
        conn.sock.settimeout(max(0.1, wait))  # ... then the answer comes when a worker can
        conn.request("GET", "/v1/health")
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


# --- processes and memory ---------------------------------------------------------------------


def worker_pids(pid: int) -> list[int]:
    """The processes that answer requests: the server's workers (forked by its fork server),
    or the server itself."""
    servers = [c for c in _children(pid) if b"forkserver" in _cmdline(c)]
    workers = [w for server in servers for w in _children(server)]
    return workers or [pid]


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):  # the thread ended meanwhile
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def rss_mb(pid: int) -> float:
    """VmRSS of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_until_idle(pids: list[int], timeout: float) -> float:
    """Seconds until the processes' CPU time grows by less than IDLE_SHARE of a core over
    IDLE_WINDOW seconds (or `timeout` passes)."""
    started = time.perf_counter()
    before = cpu_seconds(pids)
    while time.perf_counter() - started < timeout:
        time.sleep(IDLE_WINDOW)
        now = cpu_seconds(pids)
        if now - before < IDLE_SHARE * IDLE_WINDOW:
            return time.perf_counter() - started - IDLE_WINDOW
        before = now
    return time.perf_counter() - started


# --- requests -------------------------------------------------------------------------------


class Client:
    """GET requests over one persistent keep-alive connection, each timed to its last byte."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.reconnects = 0

    def get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, seconds from sending to the last byte of the body)."""
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # the server closed the idle connection: open it again
            self.reconnects += 1
            return self._get(path)

    def _get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started

    def json(self, path: str) -> Any:
        status, body, _ = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()


def effective_range(client: Client, head: int) -> tuple[date, date]:
    """The first and last effective dates of the history (its first decision's, and the
    latest of its last 200 decisions')."""
    first = client.json("/v1/decisions?limit=1")["items"][0]
    last = client.json(f"/v1/decisions?after={max(0, head - 200)}&limit=200")["items"]
    return (
        date.fromisoformat(first["decision"]["effective_on"]),
        max(date.fromisoformat(item["decision"]["effective_on"]) for item in last),
    )


def random_dates(rnd: random.Random, span: tuple[date, date], count: int) -> list[date]:
    """`count` distinct random dates within the span (both ends included)."""
    days = (span[1] - span[0]).days + 1
    return [span[0] + timedelta(days=d) for d in rnd.sample(range(days), min(count, days))]


@contextmanager
def floor_connection(settings: Settings) -> Iterator[Any]:
    """A connection to the database the server reads, for the floors."""
    if settings.database_url is None:
        conn = sqlite3.connect(settings.sqlite_path(floors.SQLITE_NAME), isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
        return
    url = settings.database_url.split("?", 1)[0]
    schema = sql.Identifier(settings.postgres_schema)
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as pg:
        pg.execute(sql.SQL("SET search_path TO {}").format(schema))
        yield pg


def measure(
    client: Client,
    conn: Any,
    endpoint: Endpoint,
    asked: str,
    questions: list[tuple[date, str]],
) -> Row:
    """Ask the endpoint at each (date, subject), each request followed by its floor."""
    row = Row(endpoint.name, asked)
    floor = floors.FLOORS[endpoint.floor]
    for as_of, subject in questions:
        url = endpoint.url(as_of, subject)
        status, body, seconds = client.get(url)
        size = len(body)
        while endpoint.pages and status == 200 and (after := json.loads(body)["next"]):
            status, body, more = client.get(f"{url}&after={after}")
            seconds, size = seconds + more, size + len(body)
        row.samples.append(Sample(as_of.isoformat(), subject, status, seconds, size))
        started = time.perf_counter()
        document = floor(conn, as_of, None, **endpoint.floor_params(subject))
        row.floor_seconds.append(time.perf_counter() - started)
        row.floor_sizes.append(len(document))
    return row


# --- one run ----------------------------------------------------------------------------------


def run(
    settings: Settings,
    *,
    queries: int = 30,
    workers: int = 1,
    start_timeout: float = 600,
    settle_timeout: float = 600,
    seed: int = 1,
    say: Callable[[str], None] = print,
    only: tuple[str, ...] = (),
) -> Results:
    """Start a server on the ledger of `settings`, time the questions and their floors, stop it."""
    token = issue_token(settings)
    with (
        tempfile.TemporaryDirectory(prefix="bench-http-") as logs,
        served(settings, workers, Path(logs)) as server,
    ):
        start = wait_for_health(server, start_timeout)
        say(f"start to first answer: {start:.2f} s")
        pids = worker_pids(server.process.pid)
        rss = {"first answer": [rss_mb(pid) for pid in pids]}
        settle = wait_until_idle(pids, settle_timeout)
        say(f"workers idle {settle:.1f} s after the first answer")
        rss["idle"] = [rss_mb(pid) for pid in pids]
        client = Client(server.port, token)
        load_before = os.getloadavg()[0]
        try:
            results = _ask(client, settings, queries, seed, say, only)
        finally:
            client.close()
        results.load = {"before": load_before, "after": os.getloadavg()[0]}
        rss["end"] = [rss_mb(pid) for pid in worker_pids(server.process.pid)]
        if server.process.poll() is not None:
            raise RuntimeError(f"ledger serve exited during the run:\n{server.log_tail()}")
    results.workers, results.start_seconds, results.settle_seconds = workers, start, settle
    results.rss_mb = rss
    return results


ONE_DATE = "one date"
"""The row of one question asked `--queries` times: its p95/p50 is the server's own spread, where
the other rows' also show how much the dates differ in what they hold."""


def _ask(
    client: Client,
    settings: Settings,
    queries: int,
    seed: int,
    say: Callable[[str], None],
    only: tuple[str, ...] = (),
) -> Results:
    head = int(client.json("/v1/health")["head"])
    span = effective_range(client, head)
    subjects = [s["id"] for s in client.json(f"/v1/subjects?as_of={span[1]}")["items"]]
    say(f"{head:,} decisions, effective {span[0]} to {span[1]}, {len(subjects)} subjects")
    results = Results(settings.backend, 0, head, queries)
    rnd = random.Random(seed)
    dates = random_dates(rnd, span, queries * len(ENDPOINTS))
    with floor_connection(settings) as conn:
        for i, endpoint in enumerate(ENDPOINTS):
            if only and not endpoint.name.startswith(only):
                continue
            asked = [(day, rnd.choice(subjects)) for day in dates[i * queries : (i + 1) * queries]]
            for label in ("first-time", "repeated"):
                row = measure(client, conn, endpoint, label, asked)
                results.rows.append(row)
                say(f"  {endpoint.name}, {label}: p50 {row.p50 * 1000:.1f} ms")
            # the server's own spread: the first-time question of median time, asked as often
            times = [sample.seconds for sample in results.rows[-2].samples]
            middle = sorted(range(len(asked)), key=times.__getitem__)[len(asked) // 2]
            row = measure(client, conn, endpoint, ONE_DATE, [asked[middle]] * len(asked))
            results.rows.append(row)
            say(f"  {endpoint.name}, {ONE_DATE}: p95/p50 {row.p95 / row.p50:.2f}")
    results.reconnects = client.reconnects
    return results


# --- output -----------------------------------------------------------------------------------


def markdown(results: Results) -> str:
    """The results as a Markdown table and a few lines."""
    lines = [
        f"{results.backend}, {results.workers} worker(s), {results.decisions:,} decisions, "
        f"{results.queries} dates per row",
        "",
        "| endpoint | asked | p50 ms | p95 ms | p95/p50 | floor p50 ms | floor p95/p50 "
        "| p50/floor | body KB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.rows:
        s = row.summary()
        lines.append(
            f"| {row.endpoint} | {row.asked} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} "
            f"| {s['p95_over_p50']:.1f} | {s['floor_p50_ms']:.2f} | {s['floor_p95_over_p50']:.1f} "
            f"| {s['ratio_p50_floor']:.0f}x "
            f"| {s['body_kb']:,.1f} |"
        )
    lines += ["", f"start to first answer: {results.start_seconds:.1f} s"]
    lines.append(f"workers idle {results.settle_seconds:.1f} s after the first answer")
    for stage, values in results.rss_mb.items():
        lines.append(
            f"resident memory per worker ({stage}): max {max(values):.0f} MB, "
            f"median {statistics.median(values):.0f} MB (n={len(values)})"
        )
    lines.append(
        f"load average (1 min, {os.cpu_count()} cores): {results.load['before']:.1f} before the "
        f"requests, {results.load['after']:.1f} after"
    )
    failed = [s for row in results.rows for s in row.samples if s.status != 200]
    if failed:
        lines.append(f"NOT 200: {len(failed)} requests, e.g. {failed[0]}")
    if results.reconnects:
        lines.append(f"the keep-alive connection was opened again {results.reconnects} time(s)")
    return "\n".join(lines)


def settings_of(args: argparse.Namespace) -> Settings:
    """The ledger's settings from the command line (the server gets the same)."""
    if args.backend == "sqlite":
        if args.ledger is None:
            raise SystemExit("--backend sqlite needs --ledger DIR")
        return Settings(database_url=None, data_dir=args.ledger)
    data_dir = args.ledger or Path(tempfile.gettempdir()) / "bench-http-postgres"
    return Settings(database_url=args.postgres, data_dir=data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, choices=(1, 4), default=1)
    parser.add_argument("--postgres", default=POSTGRES_URL, help="postgresql://...[?schema=S]")
    parser.add_argument("--ledger", type=Path, default=None, help="SQLite data directory")
    parser.add_argument("--build", type=int, default=0, help="if empty, record ~N decisions")
    parser.add_argument("--parties", type=int, default=500, help="parties of a built history")
    parser.add_argument("--queries", type=int, default=30, help="first-time dates per endpoint")
    parser.add_argument("--seed", type=int, default=1, help="of the dates and subjects asked")
    parser.add_argument("--start-timeout", type=float, default=600)
    parser.add_argument("--settle-timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    parser.add_argument(
        "--only",
        default="",
        help="ask only the endpoints whose names start so (comma-separated, e.g. monitor,gaps)",
    )
    args = parser.parse_args()
    if args.backend == "sqlite" and args.workers != 1:
        parser.error("SQLite is served by one worker")
    settings = settings_of(args)
    # a SIGTERM unwinds like Ctrl-C, so the server is stopped on the way out
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.build:
        synthetic.PARTIES = args.parties
        build(settings, args.build)
    results = run(
        settings,
        queries=args.queries,
        workers=args.workers,
        start_timeout=args.start_timeout,
        settle_timeout=args.settle_timeout,
        seed=args.seed,
        only=tuple(name for name in args.only.split(",") if name),
    )
    print()
    print(markdown(results))
    if args.out is not None:
        args.out.write_text(json.dumps(results.to_json(), indent=1))


if __name__ == "__main__":
    main()

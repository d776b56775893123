"""A 100,000-decision restore into PostgreSQL, run whole and killed halfway: CI's large check.

    .venv/bin/python -m bench.large [--decisions 100000] [--source DIR] [--seed 2022]
                                    [--reference 10000] [--again 1000] [--postgres URL]

`make test-large` runs it (CI runs it after `make test`); it exits 0 when every check holds,
else 1 with `FAILED: <what>` on stderr. About 30 minutes on a shared 2-core machine (half of it
the two 100k restores).

1. The history: a synthetic history (`bench.synthetic`, seed `--seed`, 500 parties, as
   `bench.serve --build`; the same history every run) recorded into
   a temporary SQLite ledger (or `--source DIR`, built there if empty and reused), written out
   by `ledger export` (the restore format: ids, positions and recorded_at kept, so corrections
   and consents still name their targets) and cut to its first `--decisions` lines.
2. The restore: `ledger import --restore FILE` into a fresh PostgreSQL schema, as a process,
   timed to its exit (every decision checked, chained and projected, all in one transaction):
   it exits 0, `ledger projections status` gives the head = the file's lines and read-model
   rows, `ledger verify` passes over exactly that many events. With `--reference N`, the first
   N lines are restored the same way first, for the cost per decision at that size beside it.
3. The kill: the same restore into another fresh schema (its tables made first, by `ledger
   projections status`, so what an empty ledger holds is known), SIGKILLed once it has run half
   as long as step 2 took and holds the store's write lock. Then: no session of the killed
   process is left (pg_stat_activity, found by its application_name) and nothing holds a lock on
   the schema's tables (pg_locks); every table holds what it held empty (no events, no chain, no
   decisions, no read-model rows); head 0 and `ledger verify` clean over 0 events; and the
   schema is usable: a restore of the first `--again` lines into it exits 0 and verifies
   (`--again 0`: the whole file again), numbering its events from 1 as a fresh store would
   (PostgreSQL keeps the numbers the killed transaction took; the restore starts them again, so
   the hash chain is the original's).
4. The figures: decisions, MB, seconds, ms per decision, the moment of the kill (and how far the
   restore had got by then: the size of its uncommitted events table against a whole one's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import synthetic
from bench.common import POSTGRES_URL, fresh_pg_schema, fresh_sqlite_dir, print_table
from bench.imports import CLI, ROOT, _env, cut, export, timed_restore
from bench.serve import build
from ledger.settings import Settings

SESSION_GONE_SECONDS = 60
"""How long the server may take to notice the killed client and end its transaction."""

LOCK_WAIT_SECONDS = 600
"""How long the killed restore may take to reach its write transaction (after parsing)."""


class Failed(SystemExit):
    """A check that did not hold: exit 1, naming it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"FAILED: {message}")


def expect(holds: bool, message: str) -> None:
    if not holds:
        raise Failed(message)


def say(message: str) -> None:
    print(message, flush=True)


# --- the ledger's commands, as processes ------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One PostgreSQL schema as a ledger: the environment `ledger` runs in."""

    schema: str
    env: dict[str, str]


@contextmanager
def fresh_target(url: str, prefix: str) -> Iterator[Target]:
    """A fresh PostgreSQL schema (dropped afterwards) and a data directory for the ledger."""
    with fresh_sqlite_dir(f"{prefix}-") as data, fresh_pg_schema(url, prefix=prefix) as schema:
        yield Target(schema, _env(data, f"{url}?schema={schema}"))


def ledger(target: Target, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, *args], env=target.env, cwd=ROOT, capture_output=True, timeout=timeout
    )


def ledger_json(target: Target, *args: str) -> dict[str, Any]:
    done = ledger(target, *args)
    try:
        data: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise Failed(
            f"`ledger {' '.join(args)}` printed no JSON (exit {done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        ) from None
    return data


def check_whole(target: Target, lines: int) -> float:
    """Head, read model and chain of a completed restore of `lines` decisions; the seconds
    `ledger verify` took."""
    status = ledger_json(target, "projections", "status")
    expect(
        status.get("head") == lines,
        f"after the restore into {target.schema} the head is {status.get('head')}, "
        f"not the file's {lines:,} lines",
    )
    expect(status.get("rows", 0) > 0, f"the restore into {target.schema} wrote no read-model rows")
    began = time.perf_counter()
    verified = ledger_json(target, "verify", "--json")
    took = time.perf_counter() - began
    # (one event a decision, numbered 1 to `lines` even after a killed restore)
    expect(
        verified.get("ok") is True
        and verified.get("count") == lines
        and verified.get("head_position") == lines,
        f"`ledger verify` after the restore of {lines:,} decisions into {target.schema}: "
        f"{verified}",
    )
    return took


# --- what PostgreSQL shows of a schema and a process ------------------------------------------


def table_rows(url: str, schema: str) -> dict[str, int]:
    """Every table of the schema and the rows it holds (committed ones: what others see)."""
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
                (schema,),
            )
        ]
        counts = {}
        for name in names:
            found = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
            ).fetchone()
            counts[name] = int(found[0]) if found else -1
        return counts


def events_table_bytes(url: str, schema: str) -> int:
    """The size of the schema's events table (it grows with uncommitted rows too)."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname LIKE '%%\\_events'",
            (schema,),
        ).fetchone()
        return int(found[0]) if found else 0


@dataclass(frozen=True)
class Session:
    pid: int
    state: str
    in_transaction: bool
    exclusive: bool
    """Holds an ExclusiveLock on a table of the schema (the event store's write lock)."""


def sessions(url: str, application: str, schema: str) -> list[Session]:
    """The server's sessions of the process started with PGAPPNAME=`application`."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            Session(int(pid), str(state), bool(xact), bool(exclusive))
            for pid, state, xact, exclusive in conn.execute(
                "SELECT a.pid, coalesce(a.state, ''), a.xact_start IS NOT NULL, EXISTS ("
                "  SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                "  WHERE l.pid = a.pid AND n.nspname = %s AND l.mode = 'ExclusiveLock'"
                "  AND l.granted)"
                " FROM pg_stat_activity a WHERE a.application_name = %s",
                (schema, application),
            )
        ]


def lock_holders(url: str, schema: str) -> list[tuple[int, str]]:
    """Other sessions holding (or waiting for) a lock on a table of the schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            (int(pid), str(mode))
            for pid, mode in conn.execute(
                "SELECT l.pid, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND l.pid <> pg_backend_pid()",
                (schema,),
            )
        ]


# --- the steps --------------------------------------------------------------------------------


def history(source: Path, decisions: int, seed: int, folder: Path) -> tuple[Path, float, float]:
    """The export of a synthetic history of at least `decisions` decisions, cut to that many
    lines; the seconds building and exporting took."""
    began = time.perf_counter()
    synthetic.PARTIES = 500  # (as `bench.serve --build`: the history the README measures)
    # the invariants refuse ~2% of what the generator proposes: ask for enough
    held = build(Settings(database_url=None, data_dir=source), math.ceil(decisions * 1.03), seed)
    built = time.perf_counter() - began
    expect(held >= decisions, f"the synthetic history holds {held:,} decisions, not {decisions:,}")
    began = time.perf_counter()
    whole = folder / "export.jsonl"
    exported = export(source, whole)
    expect(exported == held, f"`ledger export` wrote {exported:,} lines of {held:,} decisions")
    file = folder / f"first-{decisions}.jsonl"
    cut(whole, decisions, file)
    whole.unlink()
    return file, built, time.perf_counter() - began


@dataclass
class Kill:
    at: float
    events_bytes: int
    session_gone: float
    tables: int
    again: float


def killed_restore(url: str, file: Path, lines: int, after: float, again: int) -> Kill:
    """Step 3: the restore SIGKILLed `after` seconds in, and what it leaves."""
    with fresh_target(url, "large_killed") as target:
        empty = ledger_json(target, "projections", "status")  # (makes the tables)
        expect(empty.get("head") == 0, f"a fresh schema's head is {empty.get('head')}")
        before = table_rows(url, target.schema)
        application = f"bench-large-{uuid.uuid4().hex[:8]}"
        process = subprocess.Popen(
            [*CLI, "import", "--restore", str(file)],
            env={**target.env, "PGAPPNAME": application},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        began = time.perf_counter()
        holder: Session | None = None
        try:
            while True:
                time.sleep(0.5)
                elapsed = time.perf_counter() - began
                if process.poll() is not None:
                    stderr = (
                        process.stderr.read().decode(errors="replace") if process.stderr else ""
                    )
                    raise Failed(
                        f"the restore to be killed ended by itself after {elapsed:.0f} s (exit "
                        f"{process.returncode}), before {after:.0f} s: {stderr[-2000:]}"
                    )
                if elapsed < after:
                    continue
                holder = next(
                    (s for s in sessions(url, application, target.schema) if s.exclusive), None
                )
                if holder is not None:
                    break
                expect(
                    elapsed < after + LOCK_WAIT_SECONDS,
                    f"the restore held no write lock on {target.schema} after {elapsed:.0f} s",
                )
            written = events_table_bytes(url, target.schema)
            process.kill()
            at = time.perf_counter() - began
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
            if process.stderr:
                process.stderr.close()
        say(
            f"  killed at {at:.1f} s (pid {process.pid}; its session {holder.pid} was "
            f"{holder.state}, in its transaction, holding the write lock)"
        )
        # the server notices the closed connection and rolls the transaction back
        deadline = time.perf_counter() + SESSION_GONE_SECONDS
        while True:
            left = sessions(url, application, target.schema)
            locks = lock_holders(url, target.schema)
            if not left and not locks:
                break
            expect(
                time.perf_counter() < deadline,
                f"{SESSION_GONE_SECONDS} s after the kill, sessions of the killed restore remain "
                f"({left}) or locks on {target.schema} are held ({locks})",
            )
            time.sleep(0.2)
        gone = time.perf_counter() - began - at
        after_kill = table_rows(url, target.schema)
        expect(
            after_kill == before,
            f"the killed restore left rows behind: empty {before}, after the kill {after_kill}",
        )
        status = ledger_json(target, "projections", "status")
        expect(
            status.get("head") == 0 and status.get("rows") == 0,
            f"after the kill `ledger projections status` gives {status}, not head 0 and no rows",
        )
        verified = ledger_json(target, "verify", "--json")
        expect(
            verified.get("ok") is True and verified.get("count") == 0,
            f"after the kill `ledger verify` gives {verified}, not clean and empty",
        )
        say("  nothing left behind: no session, no lock, every table as empty, verify clean")
        # and the schema takes a restore again
        retry = file
        size = lines if again == 0 or again >= lines else again
        if size < lines:
            retry = file.with_name(f"again-{size}.jsonl")
            cut(file, size, retry)
        took = timed_restore(retry, target.env)
        check_whole(target, size)
        say(
            f"  restored {size:,} decisions into it afterwards in {took:.1f} s; head {size:,};"
            f" verify OK over {size:,} events, numbered 1 to {size:,}"
        )
        return Kill(at, written, gone, len(before), took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=None, help="SQLite data directory to reuse")
    parser.add_argument("--seed", type=int, default=2022, help="of the synthetic history")
    parser.add_argument("--reference", type=int, default=10_000, help="0: no reference restore")
    parser.add_argument("--again", type=int, default=1_000, help="0: the whole file")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="postgresql://... (no schema)")
    args = parser.parse_args()
    url: str = args.postgres
    n: int = args.decisions
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-large-") as folder:
        say(f"1. a synthetic history of {n:,} decisions (seed {args.seed})")
        source = args.source or Path(folder) / "source"
        file, built, exported = history(source, n, args.seed, Path(folder))
        mb = file.stat().st_size / 2**20
        say(f"  exported {n:,} decisions, {mb:.1f} MB, in {exported:.1f} s")

        measured: list[tuple[int, float, float]] = []  # (decisions, MB, seconds)
        if 0 < args.reference < n:
            reference = file.with_name(f"first-{args.reference}.jsonl")
            cut(file, args.reference, reference)
            with fresh_target(url, "large_reference") as target:
                took = timed_restore(reference, target.env)
                check_whole(target, args.reference)
            measured.append((args.reference, reference.stat().st_size / 2**20, took))
            say(f"  reference: {args.reference:,} decisions restored in {took:.1f} s; verify OK")

        say(f"2. `ledger import --restore` of {n:,} decisions into a fresh PostgreSQL schema")
        with fresh_target(url, "large_restore") as target:
            took = timed_restore(file, target.env)
            say(f"  exit 0 after {took:.1f} s")
            verify_took = check_whole(target, n)
            whole_events = events_table_bytes(url, target.schema)
        say(f"  head {n:,}; `ledger verify` OK over {n:,} events in {verify_took:.1f} s")
        measured.append((n, mb, took))

        say(f"3. the same restore into another fresh schema, SIGKILLed at ~{took / 2:.0f} s")
        kill = killed_restore(url, file, n, took / 2, args.again)

    total = time.perf_counter() - started
    say("")
    say("4. figures")
    first = measured[0][2] / measured[0][0]
    print_table(
        ["decisions restored", "MB", "seconds", "ms/decision", "vs first"],
        [
            [
                size,
                round(size_mb, 1),
                round(seconds, 1),
                seconds / size * 1e3,
                seconds / size / first,
            ]
            for size, size_mb, seconds in measured
        ],
    )
    say("")
    share = kill.events_bytes / whole_events if whole_events else 0.0
    for name, value in (
        ("history built (SQLite, bench.synthetic)", f"{built:.0f} s"),
        ("export and cut", f"{exported:.1f} s"),
        ("`ledger verify` after the restore", f"{verify_took:.1f} s"),
        (
            "killed at",
            f"{kill.at:.1f} s of the {took:.1f} s a whole restore takes "
            f"({kill.at / took:.0%}); its events table then "
            f"{kill.events_bytes / 2**20:.1f} of {whole_events / 2**20:.1f} MB ({share:.0%})",
        ),
        ("its session gone, locks released", f"{kill.session_gone:.1f} s after the kill"),
        ("tables checked as empty", f"{kill.tables}"),
        (
            "restore into the same schema afterwards",
            f"{kill.again:.1f} s, its events numbered from 1",
        ),
        ("whole check", f"{total / 60:.1f} min"),
        ("load average (1, 5, 15 min)", ", ".join(f"{v:.1f}" for v in os.getloadavg())),
    ):
        say(f"{name:>42}: {value}")
    say("OK")


if __name__ == "__main__":
    main()

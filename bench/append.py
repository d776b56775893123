"""How fast the ledger records decisions, beside a raw insert and a plain eventsourcing app.

For each backend (SQLite, PostgreSQL) and each transaction size (one decision per
transaction, 1,000 per transaction) it times, in fresh databases:

- ledger: `Ledger.record()` (invariants read from the tables, the read model's rows written,
          pydantic events, orjson, the hash-chained eventsourcing recorder);
- raw:    the same encoded bytes inserted with sqlite3 / psycopg into a table shaped like the
          library's events table (same columns, primary key and notification-id index);
- plain:  an eventsourcing `Application` with a default (dataclass) aggregate event per
          decision carrying the decision's JSON, one aggregate, saved per transaction.

Repetitions are interleaved (ledger, raw, plain, ledger, ...) so that background load on a
shared machine falls on all three alike; the table shows medians and the spread. A figure of
one process, for diagnosis: what a client waits for is timed by `bench.api` (recording over
HTTP) and `bench.imports` (`ledger import --restore` as a process).

    python -m bench.append                    # both backends, 1.5-3 minutes
    python -m bench.append --quick            # a smoke run, a few seconds
    python -m bench.append --backend sqlite --n 20000 --repeat 7
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BACKENDS,
    POSTGRES_URL,
    fresh_pg_schema,
    fresh_sqlite_dir,
    median,
    print_table,
    spread,
    timed,
)
from domain import decisions as d
from domain import events as ev
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.storage import OrjsonTranscoder, PydanticMapper

BATCH = 1000
TARGETS = ("ledger", "raw", "plain")

# --- a valid, realistic sequence of decisions ---------------------------------------------

_SOURCES = (
    "Kamerstuk 25124-109",
    "Kamerstuk 25124-112",
    "Besluit Landelijk Meldkamer Samenwerking 2021-14",
    "Verslag bestuursvergadering LMS 2022-06-23",
    "Rapport Inspectie JenV, evaluatie Wet meldkamers",
)
_RATIONALES = (
    None,
    None,
    "Volgt uit het besluit over de inrichting van de landelijke meldkamersamenwerking.",
    "Na overleg met de disciplines en de korpschef; zie de bijlage bij de brief aan de Kamer "
    "voor de afwegingen en het tijdpad van de overdracht.",
    "De beheerorganisatie neemt het beheer over; de discipline blijft betrokken.",
)
_ROLES = ("accountable", "responsible", "consulted", "informed", "oversight")
_LEVELS = ("low", "medium", "high", "critical")
_FOUNDERS = (
    ("smb", "board", "Strategisch Meldkamer Beraad"),
    ("korpschef", "korpschef", "Korpschef van de politie"),
    ("minister-jenv", "minister", "Minister van Justitie en Veiligheid"),
)


@dataclass
class _World:
    """What the generator has decided so far, enough to keep every decision valid."""

    rng: random.Random
    day: date = date(2020, 7, 1)
    counter: int = 0
    parties: list[str] = field(default_factory=list)
    busy: dict[str, int] = field(default_factory=dict)  # party -> roles held
    subjects: list[str] = field(default_factory=list)
    held: list[tuple[str, str, str]] = field(default_factory=list)
    held_set: set[tuple[str, str, str]] = field(default_factory=set)
    criteria: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    open_recs: list[str] = field(default_factory=list)
    commitments: list[str] = field(default_factory=list)

    def slug(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"


def _envelope(w: _World, kind: str, **fields: Any) -> dict[str, Any]:
    rng = w.rng
    decided_by = rng.choice((["smb"], ["smb"], ["smb"], ["minister-jenv"], ["smb", "korpschef"]))
    data: dict[str, Any] = {
        "kind": kind,
        "decided_by": decided_by,
        "effective_on": w.day.isoformat(),
        "source": rng.choice(_SOURCES),
    }
    rationale = rng.choice(_RATIONALES)
    if rationale is not None:
        data["rationale"] = rationale
    data.update(fields)
    return data


def _party(w: _World) -> dict[str, Any]:
    slug = w.slug("party")
    kind = w.rng.choice(("agency", "programme", "supplier", "discipline", "board"))
    extra = (
        {"discipline": w.rng.choice(("police", "fire", "ambulance", "kmar"))}
        if (kind == "discipline")
        else {}
    )
    w.parties.append(slug)
    return _envelope(
        w, "party.registered", party=slug, name=f"Partij {slug}", party_kind=kind, **extra
    )


def _dissolve(w: _World) -> dict[str, Any] | None:
    idle = [p for p in w.parties[len(_FOUNDERS) :] if not w.busy.get(p)]
    if not idle:
        return None
    party = w.rng.choice(idle)
    w.parties.remove(party)
    return _envelope(w, "party.dissolved", party=party)


def _subject(w: _World) -> dict[str, Any]:
    slug = w.slug("system")
    parent = w.rng.choice(w.subjects) if w.subjects and w.rng.random() < 0.4 else None
    w.subjects.append(slug)
    return _envelope(
        w,
        "subject.registered",
        subject=slug,
        name=f"Systeem {slug}",
        subject_kind=w.rng.choice(("system", "system", "domain", "process")),
        parent=parent,
    )


def _assign(w: _World) -> dict[str, Any] | None:
    if not w.subjects:
        return None
    for _ in range(5):
        key = (w.rng.choice(w.parties), w.rng.choice(w.subjects), w.rng.choice(_ROLES))
        if key not in w.held_set:
            w.held.append(key)
            w.held_set.add(key)
            w.busy[key[0]] = w.busy.get(key[0], 0) + 1
            party, subject, role = key
            return _envelope(w, "responsibility.assigned", party=party, subject=subject, role=role)
    return None


def _take_held(w: _World) -> tuple[str, str, str] | None:
    if not w.held:
        return None
    i = w.rng.randrange(len(w.held))
    w.held[i], w.held[-1] = w.held[-1], w.held[i]
    key = w.held.pop()
    w.held_set.discard(key)
    w.busy[key[0]] -= 1
    return key


def _relieve(w: _World) -> dict[str, Any] | None:
    key = _take_held(w)
    if key is None:
        return None
    party, subject, role = key
    return _envelope(w, "responsibility.relieved", party=party, subject=subject, role=role)


def _transfer(w: _World) -> dict[str, Any] | None:
    if not w.held:
        return None
    i = w.rng.randrange(len(w.held))
    party, subject, role = w.held[i]
    to = w.rng.choice(w.parties)
    if to == party or (to, subject, role) in w.held_set:
        return None
    w.held[i] = (to, subject, role)
    w.held_set.discard((party, subject, role))
    w.held_set.add((to, subject, role))
    w.busy[party] -= 1
    w.busy[to] = w.busy.get(to, 0) + 1
    return _envelope(
        w, "responsibility.transferred", from_party=party, to_party=to, subject=subject, role=role
    )


def _criteria(w: _World) -> dict[str, Any] | None:
    if not w.subjects:
        return None
    slug = w.slug("criteria")
    w.criteria.append(slug)
    scope = w.rng.sample(w.subjects, k=min(len(w.subjects), w.rng.randint(1, 4)))
    return _envelope(
        w,
        "risk.acceptance_criteria_established",
        criteria=slug,
        description="Restrisico's tot en met niveau midden zijn aanvaardbaar voor deze systemen.",
        scope=scope,
        max_acceptable_level=w.rng.choice(("medium", "high")),
    )


def _risk(w: _World) -> dict[str, Any] | None:
    if not w.subjects:
        return None
    slug = w.slug("risk")
    w.risks.append(slug)
    return _envelope(
        w,
        "risk.identified",
        risk=slug,
        system=w.rng.choice(w.subjects),
        title=f"Uitval van {slug} bij piekbelasting",
        description="Bij gelijktijdige grootschalige incidenten kan de capaciteit tekortschieten.",
    )


def _assess(w: _World) -> dict[str, Any] | None:
    if not w.risks:
        return None
    crit = w.rng.choice(w.criteria) if w.criteria and w.rng.random() < 0.5 else None
    return _envelope(
        w,
        "risk.assessed",
        risk=w.rng.choice(w.risks),
        level=w.rng.choice(_LEVELS),
        criteria=crit,
        summary="Kans middel, impact hoog; mitigerende maatregelen deels getroffen.",
    )


def _treat(w: _World) -> dict[str, Any] | None:
    if not w.risks:
        return None
    return _envelope(
        w,
        "risk.treatment_decided",
        risk=w.rng.choice(w.risks),
        measure="Redundante verbinding naar de uitwijklocatie en halfjaarlijkse uitwijktest.",
        status=w.rng.choice(("planned", "implemented")),
    )


def _accept(w: _World) -> dict[str, Any] | None:
    if not w.risks:
        return None
    return _envelope(
        w,
        "risk.residual_accepted",
        risk=w.rng.choice(w.risks),
        criteria=w.rng.choice(w.criteria) if w.criteria else None,
        accepted_level=w.rng.choice(("low", "medium")),
        review_by=(w.day + timedelta(days=365)).isoformat(),
    )


def _finding(w: _World) -> dict[str, Any]:
    slug = w.slug("finding")
    w.findings.append(slug)
    concerned = w.rng.sample(w.subjects, k=min(len(w.subjects), 2)) if w.subjects else []
    return _envelope(
        w,
        "finding.recorded",
        finding=slug,
        text="De verantwoordelijkheid voor het beheer van de koppelvlakken is niet belegd.",
        number=w.rng.randint(1, 40),
        subjects_concerned=concerned,
    )


def _recommend(w: _World) -> dict[str, Any]:
    slug = w.slug("rec")
    w.open_recs.append(slug)
    grounds = w.rng.sample(w.findings, k=min(len(w.findings), w.rng.randint(0, 2)))
    return _envelope(
        w,
        "recommendation.issued",
        recommendation=slug,
        text="Beleg het eigenaarschap van de koppelvlakken expliciet bij de beheerorganisatie.",
        findings=grounds,
        due_on=(w.day + timedelta(days=180)).isoformat(),
    )


def _follow_up(w: _World) -> dict[str, Any] | None:
    if not w.open_recs:
        return None
    rec = w.rng.choice(w.open_recs)
    step = w.rng.choice(("respond", "owner", "progress", "progress", "close"))
    if step == "respond":
        return _envelope(
            w,
            "recommendation.responded",
            recommendation=rec,
            response=w.rng.choice(("endorsed", "partly", "rejected")),
        )
    if step == "owner":
        return _envelope(
            w, "recommendation.owner_assigned", recommendation=rec, owner=w.rng.choice(w.parties)
        )
    if step == "progress":
        return _envelope(
            w,
            "recommendation.progress_reported",
            recommendation=rec,
            progress="Het plan van aanpak is vastgesteld; de uitvoering loopt volgens planning.",
        )
    w.open_recs.remove(rec)
    return _envelope(
        w, "recommendation.closed", recommendation=rec, resolution="Opgevolgd; zie het jaarverslag."
    )


def _commit(w: _World) -> dict[str, Any]:
    slug = w.slug("commitment")
    w.commitments.append(slug)
    return _envelope(
        w,
        "commitment.made",
        commitment=slug,
        promise="De Kamer wordt voor de zomer geïnformeerd over de voortgang.",
        due_on=(w.day + timedelta(days=120)).isoformat(),
    )


def _keep(w: _World) -> dict[str, Any] | None:
    if not w.commitments:
        return None
    slug = w.commitments.pop(w.rng.randrange(len(w.commitments)))
    return _envelope(w, "commitment.kept", commitment=slug, how="Brief aan de Kamer verzonden.")


_MAKERS: tuple[tuple[Callable[[_World], dict[str, Any] | None], int], ...] = (
    (_party, 4),
    (_dissolve, 1),
    (_subject, 8),
    (_assign, 24),
    (_relieve, 8),
    (_transfer, 3),
    (_criteria, 1),
    (_risk, 8),
    (_assess, 8),
    (_treat, 5),
    (_accept, 3),
    (_finding, 4),
    (_recommend, 6),
    (_follow_up, 12),
    (_commit, 2),
    (_keep, 1),
)


def generate_decisions(n: int, seed: int = 1) -> list[d.Decision]:
    """A valid ledger of `n` decisions of many kinds, in order, the same for the same seed."""
    w = _World(random.Random(seed))
    raw: list[dict[str, Any]] = []
    for slug, kind, name in _FOUNDERS:
        w.parties.append(slug)
        raw.append(
            _envelope(w, "party.registered", party=slug, name=name, party_kind=kind)
            | {"decided_by": [slug]}
        )
    makers = [m for m, _ in _MAKERS]
    weights = [wt for _, wt in _MAKERS]
    while len(raw) < n:
        if w.rng.random() < 0.05:
            w.day += timedelta(days=1)
        made = w.rng.choices(makers, weights)[0](w)
        if made is not None:
            raw.append(made)
    return [d.decode_decision(data) for data in raw[:n]]


# --- what is inserted: the ledger's stored bytes, the plain app's payloads -------------------


def stored_rows(decisions: Sequence[d.Decision]) -> list[tuple[UUID, int, str, bytes]]:
    """The rows the ledger stores for these decisions, encoded by the ledger's own mapper."""
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    now = datetime.now(UTC)
    rows = []
    for position, decision in enumerate(decisions, start=1):
        stored = mapper.to_stored_event(
            ev.event_for(
                decision,
                decision_id=uuid4(),
                position=position,
                recorded_at=now,
                recorded_by="bench",
            )
        )
        assert isinstance(stored.originator_id, UUID)
        rows.append((stored.originator_id, stored.originator_version, stored.topic, stored.state))
    return rows


def plain_payloads(decisions: Sequence[d.Decision]) -> list[dict[str, Any]]:
    """Each decision as plain JSON data, for the plain eventsourcing application."""
    return [
        {"decision": x.model_dump(mode="json"), "decision_id": uuid4(), "recorded_by": "bench"}
        for x in decisions
    ]


def event_sizes(n: int = 500) -> tuple[int, int]:
    """Median stored bytes of one event: the ledger's, and the plain application's."""
    decisions = generate_decisions(n)
    app = PlainApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    log = PlainLog()
    for payload in plain_payloads(decisions):
        log.record(**payload)
    plain = [len(app.mapper.to_stored_event(e).state) for e in log.collect_events()[1:]]
    ledger = [len(row[3]) for row in stored_rows(decisions)]
    app.close()
    return int(median(ledger)), int(median(plain))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the three contenders ------------------------------------------------------------------


@contextmanager
def _settings(backend: str) -> Iterator[Settings]:
    """Ledger settings pointing at a fresh, empty database of the backend."""
    with fresh_sqlite_dir() as path:
        if backend == "sqlite":
            yield Settings(database_url=None, data_dir=path)
        else:
            with fresh_pg_schema() as schema:
                yield Settings(database_url=f"{POSTGRES_URL}?schema={schema}", data_dir=path)


def run_ledger(backend: str, decisions: Sequence[d.Decision], batch: int) -> float:
    """Seconds for `Ledger.record` to record the decisions, `batch` per call."""
    with _settings(backend) as settings:
        ledger = Ledger(settings)
        try:
            chunks = list(_chunks(decisions, batch))

            def work() -> None:
                for chunk in chunks:
                    ledger.record(chunk, recorded_by="bench")

            seconds = timed(work)
            assert ledger.head == len(decisions)
        finally:
            ledger.close()
    return seconds


class PlainLog(Aggregate):
    """A plain eventsourcing aggregate: one default (dataclass) event per decision."""

    def __init__(self) -> None:
        self.count = 0

    @event("DecisionRecorded")
    def record(self, decision: dict[str, Any], decision_id: UUID, recorded_by: str) -> None:
        self.count += 1


class PlainApplication(Application[UUID]):
    name = "plainbench"


def run_plain(backend: str, payloads: Sequence[dict[str, Any]], batch: int) -> float:
    """Seconds for a plain eventsourcing application to save the payloads, `batch` per save."""
    with _settings(backend) as settings:
        env = settings.eventsourcing_env()
        if backend == "sqlite":
            env["SQLITE_DBNAME"] = str(settings.sqlite_path("plain"))
        app = PlainApplication(env=env)
        try:
            log = PlainLog()
            app.save(log)  # the "created" event, outside the timing
            chunks = list(_chunks(payloads, batch))

            def work() -> None:
                for chunk in chunks:
                    for payload in chunk:
                        log.record(**payload)
                    app.save(log)

            seconds = timed(work)
            assert log.version == len(payloads) + 1
        finally:
            app.close()
    return seconds


def run_raw(backend: str, rows: Sequence[tuple[UUID, int, str, bytes]], batch: int) -> float:
    """Seconds to insert the rows with the bare driver, `batch` rows per transaction."""
    if backend == "sqlite":
        return _raw_sqlite(rows, batch)
    return _raw_postgres(rows, batch)


def _raw_sqlite(rows: Sequence[tuple[UUID, int, str, bytes]], batch: int) -> float:
    with fresh_sqlite_dir() as path:
        conn = sqlite3.connect(path / "raw.sqlite", isolation_level=None)
        try:
            # As eventsourcing.sqlite does it: WAL, default synchronous, the same table.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            params = [(o.hex, v, t, s) for o, v, t, s in rows]
            chunks = list(_chunks(params, batch))
            insert = "INSERT INTO stored_events VALUES (?,?,?,?)"

            def work() -> None:
                for chunk in chunks:
                    conn.execute("BEGIN")
                    conn.executemany(insert, chunk)
                    conn.execute("COMMIT")

            seconds = timed(work)
            assert conn.execute("SELECT count(*) FROM stored_events").fetchone()[0] == len(rows)
        finally:
            conn.close()
    return seconds


def _raw_postgres(rows: Sequence[tuple[UUID, int, str, bytes]], batch: int) -> float:
    with fresh_pg_schema() as schema, psycopg.connect(POSTGRES_URL, connect_timeout=10) as conn:
        table = sql.Identifier(schema, "raw_events")
        # As eventsourcing.postgres creates its application events table.
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "topic text, state bytea, notification_id bigserial, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(table)
        )
        conn.execute(
            sql.SQL("CREATE UNIQUE INDEX {} ON {} (notification_id ASC)").format(
                sql.Identifier("raw_events_notification_id_idx"), table
            )
        )
        conn.commit()
        insert = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        ).format(table)
        chunks = list(_chunks(rows, batch))

        def work() -> None:
            with conn.cursor() as cur:
                for chunk in chunks:
                    cur.executemany(insert, chunk)
                    conn.commit()

        seconds = timed(work)
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        assert count is not None and count[0] == len(rows)
    return seconds


# --- the run -------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    batch: int
    n: int
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def rate(self, target: str) -> float:
        return self.n / median(self.seconds[target])

    def ratio(self, target: str, other: str) -> float:
        """Median over repetitions of (time of target / time of other) in the same repetition.

        Contenders of one repetition ran back to back, so a per-repetition ratio cancels most
        of the background load that drifts between repetitions.
        """
        return median(
            [a / b for a, b in zip(self.seconds[target], self.seconds[other], strict=True)]
        )

    def noise(self) -> float:
        return max(spread(v) for v in self.seconds.values())


def measure(
    backends: Sequence[str], n_single: int, n_batch: int, repeat: int, *, log: bool = True
) -> list[Result]:
    """Time every contender on every backend at both transaction sizes, interleaved."""
    n_max = max(n_single, n_batch)
    decisions = generate_decisions(n_max)
    rows = stored_rows(decisions)
    payloads = plain_payloads(decisions)
    runners: dict[str, Callable[[str, int, int], float]] = {
        "ledger": lambda b, n, size: run_ledger(b, decisions[:n], size),
        "raw": lambda b, n, size: run_raw(b, rows[:n], size),
        "plain": lambda b, n, size: run_plain(b, payloads[:n], size),
    }
    results = []
    for backend in backends:
        for batch, n in ((1, n_single), (BATCH, n_batch)):
            result = Result(backend, batch, n, {t: [] for t in TARGETS})
            for rep in range(repeat):
                for target in TARGETS:
                    seconds = runners[target](backend, n, batch)
                    result.seconds[target].append(seconds)
                    if log:
                        print(
                            f"  {backend:8} batch {batch:>5}  rep {rep + 1}  {target:6} "
                            f"{n / seconds:10,.0f} /s",
                            file=sys.stderr,
                            flush=True,
                        )
            results.append(result)
    return results


def report(results: Sequence[Result]) -> str:
    header = (
        "backend",
        "per tx",
        "N",
        "ledger /s",
        "raw /s",
        "plain /s",
        "ledger/raw",
        "ledger/plain",
        "spread",
    )
    rows = [
        (
            r.backend,
            r.batch,
            r.n,
            r.rate("ledger"),
            r.rate("raw"),
            r.rate("plain"),
            # Time ratios: 4.0 means the ledger takes 4x as long as the other per decision.
            r.ratio("ledger", "raw"),
            r.ratio("ledger", "plain"),
            f"{r.noise():.0%}",
        )
        for r in results
    ]
    return print_table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--n", type=int, default=None, help="decisions per batched run")
    parser.add_argument("--n-single", type=int, default=None, help="decisions, 1 per tx")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions (median)")
    parser.add_argument("--quick", action="store_true", help="tiny N: a smoke run")
    args = parser.parse_args(argv)
    n_batch = args.n or (2000 if args.quick else 10_000)
    n_single = args.n_single or (100 if args.quick else 1000)
    repeat = args.repeat or (1 if args.quick else 7)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = measure(backends, n_single, n_batch, repeat)
    ledger_bytes, plain_bytes = event_sizes()
    print(
        f"\nDecisions per second, medians of {repeat} interleaved repetitions, fresh databases "
        f"(per tx = decisions per transaction). Median stored event: ledger {ledger_bytes} B, "
        f"plain {plain_bytes} B.\nRatios = time per decision, ledger / raw insert and "
        "ledger / plain eventsourcing (median of per-repetition ratios; < 1 = ledger faster).\n"
        "Spread = (max - min) / median of the noisiest contender in that row."
    )
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""PostgreSQL restarted for real under load, not through a relay (tests/api/test_faults.py): a
PostgreSQL 15 cluster of the test's own, made with Debian's tools, is restarted, then stopped
for several seconds and started again, while `ledger serve --workers 2` answers writers and a
reader. The machine's shared PostgreSQL (port 5432) is never touched.

Needs root (the tools run the cluster as the `postgres` user) and PostgreSQL 15's server; on
CI (CI set) their absence fails the test, elsewhere it is skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ledger.settings import DATABASE_WAIT_SECONDS, Settings
from tests.api.test_faults import Load, _recorded_once, _token
from tests.tools.processes import ROOT, free_port, ledger_command, ledger_env, serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

VERSION = "15"
PREFIX = "ledger_restart_"
"""A cluster of this test is named PREFIX, the pid of the pytest that made it, and a nonce."""
TOOLS = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters", "pg_isready")
COMMAND_SECONDS = 120
"""The most one cluster command may take (making a cluster, a start, a stop)."""
AWAY_SECONDS = 8
"""How long the database stays stopped: longer than a request waits for it."""
RECOVERY_SECONDS = 15
"""The most the server may take to answer 200 again once the database answers."""
LOAD_SECONDS = 180
"""The most the writers go on retrying (some 30 seconds are enough)."""


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required on CI)")
    pytest.skip(reason)


def _run(*command: str) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}: {done.stderr}"
    return done.stdout


def _until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Wait until `condition()` holds, for at most `seconds`; the seconds it took."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"{what} (not within {seconds} s)"
        time.sleep(0.05)
    return time.monotonic() - start


@dataclass
class Cluster:
    """A PostgreSQL cluster of Debian's postgresql-common, on 127.0.0.1:`port`."""

    name: str
    port: int

    def ctl(self, action: str) -> float:
        """`pg_ctlcluster` `action` (start, stop or restart; it stops "fast": every session is
        ended, its transaction rolled back), done when the server is down or answers again;
        the seconds it took."""
        start = time.monotonic()
        # (never through systemd, where it runs: the cluster is the test's, not the machine's)
        _run("pg_ctlcluster", "--skip-systemctl-redirect", VERSION, self.name, action)
        return time.monotonic() - start

    def ready(self) -> bool:
        return (
            subprocess.run(
                ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"],
                timeout=COMMAND_SECONDS,
                check=False,
            ).returncode
            == 0
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _clusters() -> set[str]:
    """The names of this machine's PostgreSQL clusters of VERSION."""
    lines = _run("pg_lsclusters", "--no-header").splitlines()
    return {line.split()[1] for line in lines if line.split()[:1] == [VERSION]}


def _drop_abandoned() -> None:
    """Drop the clusters of earlier runs of this test whose pytest was killed before it could."""
    for name in _clusters():
        pid = name.removeprefix(PREFIX).split("_", 1)[0]
        if name.startswith(PREFIX) and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _run("pg_dropcluster", "--stop", VERSION, name)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A new, empty PostgreSQL cluster that trusts connections from this host, running; stopped
    and dropped (data, configuration and log) when the test ends, however it ends."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        _missing(f"{', '.join(missing)} missing (apt-get install postgresql-common)")
    if not Path(f"/usr/lib/postgresql/{VERSION}/bin/postgres").exists():
        _missing(f"PostgreSQL {VERSION} is not installed (apt-get install postgresql-{VERSION})")
    if os.geteuid() != 0:
        _missing("pg_createcluster needs root to make a PostgreSQL cluster")
    _drop_abandoned()
    made = Cluster(f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}", free_port())
    try:
        # The data directory is the tools' default (/var/lib/postgresql/15/NAME), not under
        # tmp_path: the server runs as `postgres`, who may not enter root's pytest directory.
        _run(
            *("pg_createcluster", "--start-conf", "manual", "--port", str(made.port)),
            *(VERSION, made.name, "--", "--auth=trust"),
        )
        made.ctl("start")
        _until(made.ready, COMMAND_SECONDS, "the new cluster does not answer")
        yield made
    finally:
        if made.name in _clusters():
            _run("pg_dropcluster", "--stop", VERSION, made.name)


@dataclass(frozen=True)
class Answer:
    asked: float  # (time.monotonic())
    answered: float
    status: int
    retry_after: str | None


@dataclass
class Reader:
    """Reads the parties over and over until stopped, and keeps every answer."""

    url: str
    auth: dict[str, str]
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._read)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the reader hangs"

    def statuses(self) -> Counter[int]:
        return Counter(answer.status for answer in self.answers)

    def _read(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.auth, timeout=60) as client:
            while not self._stop.is_set():
                asked = time.monotonic()
                answer = client.get("/v1/parties", params={"as_of": "2021-01-01"})
                self.answers.append(
                    Answer(
                        asked,
                        time.monotonic(),
                        answer.status_code,
                        answer.headers.get("Retry-After"),
                    )
                )
                time.sleep(0.02)


def _workers(pid: int) -> set[int]:
    """The child processes of `pid` (uvicorn's workers, multiprocessing's resource tracker)."""
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _healthy(url: str) -> bool:
    return httpx.get(f"{url}/v1/health", timeout=60).status_code == 200


def test_a_server_outlives_a_real_postgresql_restart_under_load(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Three writers and a reader through `ledger serve --workers 2` on a cluster of its own.
    The cluster is restarted (`pg_ctlcluster restart`: every session ended, the server down and
    up again), then stopped for eight seconds and started. Nothing is answered 500. While the
    database is away a request waits for it for DATABASE_WAIT_SECONDS, then is answered 503
    with Retry-After; once it is back, the same server process and the same workers answer
    every request again. Every decision is recorded once, none twice, and `ledger verify`
    finds the chain whole."""
    settings = Settings(database_url=f"{cluster.url()}?schema=ledger", data_dir=tmp_path / "var")
    auth = _token(settings)
    with serving(settings, workers=2) as server:
        # A writer holds before a request while `allowed` decisions are answered: however fast
        # this machine writes, decisions are left to write when the cluster is stopped.
        allowed = [20]

        def url() -> str:
            while len(load.ids) >= allowed[0]:
                time.sleep(0.01)
            return server.url

        load = Load(url=url, auth=auth, writers=3, each=100)
        reader = Reader(server.url, auth)
        reader.start()
        deadline = time.monotonic() + LOAD_SECONDS
        threads = load.run(deadline)
        try:
            _until(lambda: len(load.ids) >= 10, 60, "the writers record nothing")

            # A restart: the server shuts down fast (ending every session) and starts again.
            workers = _workers(server.process.pid)
            assert len(workers) >= 2, workers
            allowed[0] = len(load.ids) + 60
            restart_took = cluster.ctl("restart")
            restarted = time.monotonic()
            restart_recovered = _until(
                lambda: _healthy(server.url), RECOVERY_SECONDS, "no recovery from the restart"
            )
            _until(lambda: len(load.ids) >= allowed[0], 60, "no writes after the restart")
            _until(
                lambda: sum(a.asked > restarted for a in reader.answers) >= 10,
                60,
                "no reads after the restart",
            )

            # A stop of several seconds while the writers write, then a start.
            allowed[0] = len(load.keys())
            stopping = time.monotonic()
            cluster.ctl("stop")
            stopped = time.monotonic()
            answered_at_stop = len(load.ids)
            health = httpx.get(f"{server.url}/v1/health", timeout=60)
            waited = time.monotonic() - stopped
            time.sleep(max(0.0, AWAY_SECONDS - (time.monotonic() - stopped)))
            stopped_for = time.monotonic() - stopped
            started_in = cluster.ctl("start")
            _until(cluster.ready, COMMAND_SECONDS, "the cluster does not answer after a start")
            back = time.monotonic()
            recovered = _until(
                lambda: _healthy(server.url), RECOVERY_SECONDS, "no recovery from the stop"
            )
        finally:
            allowed[0] = len(load.keys())
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()) + 60)
            reader.stop()
        assert not any(thread.is_alive() for thread in threads), "a writer hangs"
        reads = reader.statuses()
        assert server.process.poll() is None  # the same server throughout ...
        assert _workers(server.process.pid) == workers, server.log()  # ... and the same workers
        assert 500 not in reads and 500 not in load.statuses, (reads, load.statuses)

        # Away: a request waits for the database, then is answered 503 with Retry-After.
        assert answered_at_stop < len(load.keys())  # (the stop fell in the middle of the load)
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        assert DATABASE_WAIT_SECONDS - 1 < waited < DATABASE_WAIT_SECONDS + 3, waited
        refused = [a for a in reader.answers if a.status == 503]
        assert any(stopped < a.answered < back for a in refused), reader.answers
        assert all(a.retry_after for a in refused), refused
        assert all(a.answered - a.asked < DATABASE_WAIT_SECONDS + 3 for a in refused), refused
        assert load.statuses[503] > 0

        # Back: every request answered again, none refused.
        again = [
            a
            for a in reader.answers
            if (restarted < a.asked and a.answered < stopping) or a.asked > back
        ]
        assert again and all(a.status == 200 for a in again), again
        _recorded_once(server.url, auth, load)
        print(  # (with -s: the figures README quotes)
            f"\nrestart {restart_took:.1f} s, answered 200 {restart_recovered:.1f} s after;"
            f" stopped {stopped_for:.1f} s + start {started_in:.1f} s, waited"
            f" {waited:.1f} s for a 503, answered 200 {recovered:.1f} s after;"
            f" writes {dict(load.statuses)}, lost answers {load.lost_answers};"
            f" reads {dict(reads)}; decisions {len(load.ids)}, {answered_at_stop} before the stop"
        )
    verify = subprocess.run(
        ledger_command("verify"),
        env=ledger_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith(f"OK: {len(load.keys())} events chained"), verify.stdout

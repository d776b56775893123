"""Faults under load, from the outside: a server killed while clients write through it, and
PostgreSQL going away and coming back while a server answers. Clients retry as the API asks
(the same Idempotency-Key after a lost answer or a 503); in the end every decision is recorded
once, none twice, and the hash chain is whole."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from ledger.access import AccessStore, Role
from ledger.settings import DATABASE_WAIT_SECONDS, Settings
from ledger.storage import RECONNECT_SECONDS
from tests.api.test_http_helpers import party
from tests.tools.outage import relayed
from tests.tools.processes import serving

pytestmark = pytest.mark.slow


def _token(settings: Settings) -> dict[str, str]:
    access = AccessStore(settings)
    try:
        return {"Authorization": f"Bearer {access.issue('clerk', Role.SECRETARIAT, by='test')}"}
    finally:
        access.close()


@dataclass
class Load:
    """Writers that each record their own decisions, retrying every one (same key) until it
    is answered 201, against whatever `url()` names at the moment; what they saw, counted."""

    url: Callable[[], str]
    auth: dict[str, str]
    writers: int
    each: int
    statuses: Counter[int] = field(default_factory=Counter)
    lost_answers: int = 0  # requests whose answer never came (a dead server, a cut connection)
    ids: dict[str, set[str]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> set[str]:
        return {f"w{w}-{n}" for w in range(self.writers) for n in range(self.each)}

    def run(self, deadline: float) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._write, args=(w, deadline)) for w in range(self.writers)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _write(self, writer: int, deadline: float) -> None:
        with httpx.Client(headers=self.auth, timeout=30) as client:
            for n in range(self.each):
                key = f"w{writer}-{n}"
                while time.monotonic() < deadline:
                    try:
                        response = client.post(
                            f"{self.url()}/v1/decisions",
                            json=party(key, kind="agency"),
                            headers={"Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        with self._lock:
                            self.lost_answers += 1
                        time.sleep(0.1)
                        continue
                    with self._lock:
                        self.statuses[response.status_code] += 1
                        if response.status_code == 201:
                            self.ids.setdefault(key, set()).add(response.json()["id"])
                        elif response.status_code != 503:
                            self.unexpected.append(f"{key}: {response.status_code} {response.text}")
                    if response.status_code == 201:
                        break
                    time.sleep(0.1)


def _recorded_once(url: str, auth: dict[str, str], load: Load) -> None:
    assert load.unexpected == []
    assert set(load.ids) == load.keys()  # every decision answered 201 in the end ...
    assert all(len(ids) == 1 for ids in load.ids.values())  # ... each retry with the same one
    with httpx.Client(base_url=url, headers=auth, timeout=60) as client:
        parties = _answered(client, "/v1/parties", as_of="2021-01-01").json()["items"]
        assert sorted(p["id"] for p in parties) == sorted(load.keys())
        assert _answered(client, "/v1/health").json()["head"] == len(load.keys())  # none twice
        report = _answered(client, "/v1/ledger/verify")
        assert report.json()["ok"] is True, report.text


def _answered(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    """The 200 answer to GET `path`, asked again after each 503 as its Retry-After says (a
    worker of the same server may still be reconnecting), for at most RECONNECT_SECONDS."""
    give_up = time.monotonic() + RECONNECT_SECONDS
    while True:
        answer = client.get(path, params=params)
        if answer.status_code != 503 or time.monotonic() > give_up:
            assert answer.status_code == 200, (path, answer.status_code, answer.text)
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))


def test_a_server_killed_under_load_loses_and_doubles_nothing(settings: Settings) -> None:
    """Four writers through `ledger serve --workers 2`; after the first dozen decisions the
    server and its workers get SIGKILL at once, mid-request; a new server starts on the same
    ledger and the writers retry what was not answered. Whatever the killed server had
    committed is answered again with the same decision; nothing is lost or recorded twice."""
    auth = _token(settings)
    current: list[str] = []
    load = Load(url=lambda: current[-1], auth=auth, writers=4, each=12)
    with serving(settings, workers=2) as first:
        current.append(first.url)
        threads = load.run(deadline=time.monotonic() + 300)
        while sum(len(ids) for ids in load.ids.values()) < 12:
            time.sleep(0.01)
        first.kill()
    answered_before = len(load.ids)
    with serving(settings, workers=2) as second:
        current.append(second.url)
        for thread in threads:
            thread.join(timeout=300)
        assert answered_before < len(load.keys())  # the kill fell in the middle of the load
        assert load.lost_answers > 0  # and cut requests off
        _recorded_once(second.url, auth, load)


def _through(settings: Settings, port: int) -> Settings:
    """`settings` with the database reached on `port` of this host."""
    assert settings.database_url is not None
    parts = urlsplit(settings.database_url)
    netloc = f"{parts.username}@127.0.0.1:{port}" if parts.username else f"127.0.0.1:{port}"
    return Settings(
        database_url=urlunsplit(parts._replace(netloc=netloc)), data_dir=settings.data_dir
    )


@pytest.mark.postgres
def test_a_server_outlives_postgresql_going_away_under_load(postgres_settings: Settings) -> None:
    """Writers and a reader through `ledger serve --workers 2` while the database goes away for
    eight seconds (every connection cut, new ones refused, as in a restart) and comes back.
    While it is away, a request waits a few seconds for it and is then answered 503 with
    Retry-After, never 500; once it is back, the same server process answers again at once,
    without a restart of its own; the writers' retries record each decision once."""
    auth = _token(postgres_settings)
    parts = urlsplit(postgres_settings.database_url or "")
    with relayed((parts.hostname or "127.0.0.1", parts.port or 5432)) as relay:
        settings = _through(postgres_settings, relay.port)
        with serving(settings, workers=2) as server:
            load = Load(url=lambda: server.url, auth=auth, writers=3, each=40)
            reads: Counter[int] = Counter()
            away_answers: list[httpx.Response] = []
            stop = threading.Event()

            def read() -> None:
                with httpx.Client(base_url=server.url, headers=auth, timeout=60) as client:
                    while not stop.is_set():
                        answer = client.get("/v1/parties", params={"as_of": "2021-01-01"})
                        reads[answer.status_code] += 1
                        if answer.status_code == 503:
                            away_answers.append(answer)
                        time.sleep(0.02)

            reader = threading.Thread(target=read)
            reader.start()
            threads = load.run(deadline=time.monotonic() + 300)
            time.sleep(1.5)
            relay.cut()
            cut = time.monotonic()
            health = httpx.get(f"{server.url}/v1/health", timeout=60)
            waited = time.monotonic() - cut
            time.sleep(max(0.0, 8 - waited))
            relay.restore()
            back = time.monotonic()
            while httpx.get(f"{server.url}/v1/health", timeout=60).status_code != 200:
                assert time.monotonic() - back < 30, "the server did not see the database return"
                time.sleep(0.1)
            recovered = time.monotonic() - back
            for thread in threads:
                thread.join(timeout=300)
            stop.set()
            reader.join(timeout=60)
            assert server.process.poll() is None  # the same server throughout
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
            assert health.headers.get("Retry-After") == "5"
            assert DATABASE_WAIT_SECONDS - 1 < waited < DATABASE_WAIT_SECONDS + 5
            assert 500 not in reads and 500 not in load.statuses, (reads, load.statuses)
            assert reads[503] + load.statuses[503] > 0  # the outage was seen ...
            assert all(a.headers.get("Retry-After") for a in away_answers)  # ... and explained
            assert recovered < 15, recovered
            _recorded_once(server.url, auth, load)

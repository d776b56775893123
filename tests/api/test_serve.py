"""`ledger serve` as a real process (two uvicorn workers) on each backend."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bench.serve import worker_pids
from ledger.access import AccessStore, Role
from ledger.settings import Settings
from tests.api.test_http_helpers import party
from tests.tools.processes import Server, serving


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with serving(settings) as found:
        yield found


def test_a_served_ledger_records_reads_and_revokes_across_workers(server: Server) -> None:
    access = AccessStore(server.settings)
    token = access.issue("anna", Role.SECRETARIAT, by="test")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        # record the SMB and read it back as of the day after
        registered = client.post(
            "/v1/decisions",
            json={
                "kind": "party.registered",
                "party": "smb",
                "name": "Strategisch Meldkamer Beraad",
                "party_kind": "board",
                "decided_by": ["smb"],
                "effective_on": "2020-07-01",
                "source": "Kamerstuk 25124-109",
            },
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["recorded_by"] == "anna"
        for _ in range(6):  # several requests, so both workers answer some
            parties = client.get("/v1/parties", params={"as_of": "2020-07-02"})
            assert [p["id"] for p in parties.json()["items"]] == ["smb"]
        assert client.get("/v1/parties", params={"as_of": "2020-06-30"}).json()["items"] == []
        # revoked in this process: every worker refuses it on the next request
        access.revoke("anna", by="test")
        for _ in range(6):
            assert client.get("/v1/decisions").status_code == 401
    access.close()


def test_the_workers_are_forked_from_one_process_that_imported_the_application(
    server: Server,
) -> None:
    """Not each a new interpreter importing everything again (a second of CPU each): the
    workers are children of the fork server `ledger serve` sets up, and a killed one is
    replaced from there."""
    workers = worker_pids(server.process.pid)
    assert len(workers) == 2 and server.process.pid not in workers
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while set(worker_pids(server.process.pid)) in ({workers[1]}, set(workers)):
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    assert len(worker_pids(server.process.pid)) == 2
    assert httpx.get(f"{server.url}/v1/health", timeout=10).status_code == 200


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_read_each_others_writes_at_once(
    postgres_settings: Settings,
) -> None:
    """Two `ledger serve` processes (as on two hosts) over one PostgreSQL schema: what one
    records, the other answers with its very next request; writers on both lose nothing,
    double nothing, and the hash chain stays whole."""
    settings = postgres_settings  # (several servers share PostgreSQL; SQLite serves one host)
    access = AccessStore(settings)
    token = access.issue("clerk", Role.SECRETARIAT, by="test")
    access.close()
    auth = {"Authorization": f"Bearer {token}"}
    with serving(settings, workers=1) as one, serving(settings, workers=1) as two:
        a = httpx.Client(base_url=one.url, headers=auth, timeout=60)
        b = httpx.Client(base_url=two.url, headers=auth, timeout=60)
        with a, b:
            for i, (writer, reader) in enumerate([(a, b), (b, a)] * 3):
                assert (
                    writer.post("/v1/decisions", json=party(f"p{i}", kind="agency")).status_code
                    == 201
                )
                found = reader.get("/v1/parties", params={"as_of": "2021-01-01"}).json()["items"]
                assert f"p{i}" in {p["id"] for p in found}, (i, found)

            def write(client: httpx.Client, prefix: str) -> None:
                for n in range(15):
                    body = party(f"{prefix}-{n}", kind="agency")
                    key = {"Idempotency-Key": f"{prefix}-{n}"}
                    for _ in range(2):  # each request sent twice, as a client retrying
                        response = client.post("/v1/decisions", json=body, headers=key)
                        assert response.status_code == 201, response.text

            threads = [
                threading.Thread(target=write, args=(a, "from-one")),
                threading.Thread(target=write, args=(b, "from-two")),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
            parties = {
                p["id"]
                for p in a.get("/v1/parties", params={"as_of": "2021-01-01"}).json()["items"]
            }
            assert {f"from-{w}-{n}" for w in ("one", "two") for n in range(15)} <= parties
            assert b.get("/v1/health").json()["head"] == 6 + 30
            report = b.get("/v1/ledger/verify")
            assert report.status_code == 200 and report.json()["ok"] is True, report.text


@pytest.mark.slow
def test_clients_retrying_at_once_through_four_workers_lose_and_double_nothing(
    settings: Settings,
) -> None:
    """Eight clients through `ledger serve --workers 4`, in pairs: both clients of a pair send
    each decision at the same moment with the same Idempotency-Key (a retry racing the first
    attempt). Every request is answered 201 with the same decision; each is recorded once; the
    hash chain stays whole."""
    access = AccessStore(settings)
    token = access.issue("clerk", Role.SECRETARIAT, by="test")
    access.close()
    auth = {"Authorization": f"Bearer {token}"}
    pairs, each = 4, 20
    answers: dict[str, set[str]] = {}
    problems: list[str] = []
    lock = threading.Lock()
    with serving(settings, workers=4) as server:

        def send(pair: int, barrier: threading.Barrier) -> None:
            with httpx.Client(base_url=server.url, headers=auth, timeout=120) as client:
                for n in range(each):
                    key = f"pair-{pair}-{n}"
                    barrier.wait(timeout=120)
                    response = client.post(
                        "/v1/decisions",
                        json=party(key, kind="agency"),
                        headers={"Idempotency-Key": key},
                    )
                    with lock:
                        if response.status_code != 201:
                            problems.append(f"{key}: {response.status_code} {response.text}")
                        else:
                            answers.setdefault(key, set()).add(response.json()["id"])

        threads = []
        for pair in range(pairs):
            barrier = threading.Barrier(2)
            threads += [threading.Thread(target=send, args=(pair, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert problems == []
        assert len(answers) == pairs * each
        assert all(len(ids) == 1 for ids in answers.values())  # both attempts: one decision
        with httpx.Client(base_url=server.url, headers=auth, timeout=60) as client:
            assert client.get("/v1/health").json()["head"] == pairs * each
            report = client.get("/v1/ledger/verify")
            assert report.status_code == 200 and report.json()["ok"] is True, report.text

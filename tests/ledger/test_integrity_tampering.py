"""Every tampering with the stored history is caught, at the right position, on both backends.

Each test records a small ledger, tampers with it by direct SQL, and verifies. What the chain
alone cannot show (a cut tail, a chain recomputed after a change) is caught against a signed
checkpoint digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.events import LEDGER_STREAM_ID
from ledger import integrity
from ledger.checkpoints import Digest, InvalidDigest
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import basics, party
from tests.tools.tampering import Attacker


@pytest.fixture
def recorded(settings: Settings) -> Iterator[Ledger]:
    """Ten decisions at positions 1..10, recorded in three batches."""
    ledger = Ledger(settings)
    ledger.record(basics(), recorded_by="secretariaat")  # 1..5
    ledger.record([party("lms", kind="agency"), party("wodc", kind="evaluator")], recorded_by="s")
    ledger.record([party(f"p{i}") for i in range(3)], recorded_by="secretariaat")  # 8..10
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_an_untouched_ledger_verifies_with_its_count_and_head(recorded: Ledger) -> None:
    result = integrity.verify(recorded)
    assert result.ok
    assert (result.count, result.head_position) == (10, 10)
    assert integrity.verify_report(recorded)["head_hash"] == result.head_hash.hex()


def test_verify_opens_the_store_from_settings_alone(recorded: Ledger, settings: Settings) -> None:
    assert integrity.verify(settings).head_hash == integrity.verify(recorded).head_hash


def test_one_changed_byte_is_caught_as_modified_at_its_position(
    recorded: Ledger, settings: Settings
) -> None:
    Attacker(settings).flip_byte(4)
    problem = integrity.verify(recorded).problem
    assert problem is not None
    assert (problem.position, problem.kind, problem.evidence) == (4, "modified", "chain")


def test_a_deleted_event_is_caught_as_missing_at_its_position(
    recorded: Ledger, settings: Settings
) -> None:
    Attacker(settings).delete_event(6)
    result = integrity.verify(recorded)
    assert result.problem is not None
    assert (result.problem.position, result.problem.kind) == (6, "missing")
    assert result.count == 5


def test_a_forged_event_is_caught_as_inserted_at_its_position(
    recorded: Ledger, settings: Settings
) -> None:
    Attacker(settings).insert_forged(11, copy_of=3)
    problem = integrity.verify(recorded).problem
    assert problem is not None
    assert (problem.position, problem.kind) == (11, "inserted")


def test_a_failed_insert_is_no_alarm_but_an_event_slipped_into_its_gap_is(
    recorded: Ledger, settings: Settings
) -> None:
    # A stale write fails; on PostgreSQL it burns notification ids, leaving a gap.
    fresh = StoredEvent(LEDGER_STREAM_ID, 11, "forged", b"{}")
    stale = StoredEvent(LEDGER_STREAM_ID, 1, "forged", b"{}")
    with pytest.raises(IntegrityError):
        recorded.store.recorder.insert_events([fresh, stale])
    recorded.record([party("later")], recorded_by="s")
    assert integrity.verify(recorded).ok
    attacker = Attacker(settings)
    positions = attacker.positions()
    gaps = sorted(set(range(1, positions[-1])) - set(positions))
    if settings.backend == "sqlite":
        assert gaps == []  # SQLite rowids have no gaps: nothing to slip into
        return
    assert gaps, "the failed insert left a gap on PostgreSQL"
    attacker.insert_forged(gaps[0], copy_of=2)
    problem = integrity.verify(recorded).problem
    assert problem is not None
    assert (problem.position, problem.kind) == (gaps[0], "inserted")


def test_two_swapped_events_are_caught_as_reordered_at_the_first(
    recorded: Ledger, settings: Settings
) -> None:
    Attacker(settings).swap(3, 8)
    problem = integrity.verify(recorded).problem
    assert problem is not None
    assert (problem.position, problem.kind) == (3, "reordered")
    assert "position 8" in problem.detail


def test_a_cut_tail_passes_the_chain_but_not_the_signed_checkpoint(
    recorded: Ledger, settings: Settings, key: Ed25519PrivateKey
) -> None:
    digest = integrity.create_checkpoint(recorded, key)  # covers 1..10; recorded at 11
    assert digest.position == 10
    Attacker(settings).cut_tail(9)
    # The chain that is left is consistent: on its own, a cut tail is not visible...
    assert integrity.verify(recorded).ok
    # ...but against the published digest it is.
    problem = integrity.verify(recorded, against=digest).problem
    assert problem is not None
    assert (problem.position, problem.kind, problem.evidence) == (9, "missing", "checkpoint")


def test_a_recomputed_chain_after_a_change_is_caught_against_the_signed_checkpoint(
    recorded: Ledger, settings: Settings, key: Ed25519PrivateKey
) -> None:
    digest = integrity.create_checkpoint(recorded, key)
    recorded.record([party("after-checkpoint")], recorded_by="s")
    attacker = Attacker(settings)
    attacker.flip_byte(4)
    attacker.recompute_chain()
    # The attacker rebuilt every hash: the chain alone looks fine.
    assert integrity.verify(recorded).ok
    # The signed head hash at position 10 does not match the rewritten history.
    result = integrity.verify(recorded, against=digest)
    assert result.problem is not None
    assert result.problem.position == digest.position
    assert (result.problem.kind, result.problem.evidence) == ("modified", "checkpoint")


def test_an_intact_ledger_verifies_against_its_checkpoint_after_more_writes(
    recorded: Ledger, key: Ed25519PrivateKey
) -> None:
    digest = integrity.create_checkpoint(recorded, key)
    recorded.record([party("later")], recorded_by="s")
    result = integrity.verify(recorded, against=digest)
    assert result.ok
    assert result.count == 12  # ten decisions, the checkpoint, one more decision


def test_a_digest_with_a_forged_signature_is_refused(
    recorded: Ledger, key: Ed25519PrivateKey
) -> None:
    digest = integrity.create_checkpoint(recorded, key).to_json()
    digest["position"] = 9  # claims a different checkpoint under the same signature
    with pytest.raises(InvalidDigest):
        integrity.verify(recorded, against=Digest.from_json(digest))


def test_a_checkpoint_is_refused_over_a_tampered_chain(
    recorded: Ledger, settings: Settings, key: Ed25519PrivateKey
) -> None:
    Attacker(settings).flip_byte(2)
    with pytest.raises(integrity.TamperedLedger, match="position 2"):
        integrity.create_checkpoint(recorded, key)


def test_the_cli_exits_1_on_tampering_and_0_when_intact(
    recorded: Ledger,
    settings: Settings,
    key: Ed25519PrivateKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("LEDGER_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    digest_file = tmp_path / "digest.json"
    digest_file.write_text(
        __import__("json").dumps(integrity.create_checkpoint(recorded, key).to_json())
    )
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", "--against", str(digest_file)])
    assert ok.exit_code == 0, ok.output
    assert "OK: 11 events" in ok.stdout
    Attacker(settings).flip_byte(5)
    bad = runner.invoke(app, ["verify", "--json"])
    assert bad.exit_code == 1
    assert '"kind": "modified"' in bad.stdout

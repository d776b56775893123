"""Checkpoint keys and digests: created once, kept private, signed, recorded in the ledger."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import integrity
from ledger.checkpoints import CHECKPOINT_STREAM_ID, Digest, InvalidDigest
from ledger.keys import KeyFileError, init_keys, load_private_key, load_public_key_hex
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import basics


def test_keys_init_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    private_path, public_path = init_keys(tmp_path / "keys")
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    key = load_private_key(tmp_path / "keys")
    assert load_public_key_hex(public_path) == key.public_key().public_bytes_raw().hex()


def test_keys_init_refuses_to_overwrite_an_existing_key(tmp_path: Path) -> None:
    private_path, _ = init_keys(tmp_path)
    before = private_path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        init_keys(tmp_path)
    assert private_path.read_bytes() == before


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    private_path, _ = init_keys(tmp_path)
    private_path.chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_private_key(private_path)


def test_a_checkpoint_is_signed_recorded_in_its_own_stream_and_returned_as_latest(
    settings: Settings,
) -> None:
    ledger = Ledger(settings)
    try:
        ledger.record(basics(), recorded_by="s")
        assert integrity.latest_checkpoint(ledger) is None
        key = Ed25519PrivateKey.generate()
        first = integrity.create_checkpoint(ledger, key)
        second = integrity.create_checkpoint(ledger, key)
        # The first checkpoint event is itself chained, and covered by the second.
        assert (first.position, first.tree_size, first.sequence) == (5, 5, 1)
        assert (second.position, second.tree_size, second.sequence) == (6, 6, 2)
        latest = integrity.latest_checkpoint(ledger)
        assert latest == second.to_json()
        assert Digest.from_json(latest).signature_is_valid()
        assert latest["public_key"] == key.public_key().public_bytes_raw().hex()
        # Checkpoints are not governance decisions: the decision stream is untouched.
        assert ledger.head == 5
        assert len(list(ledger.store.events.get(CHECKPOINT_STREAM_ID))) == 2
    finally:
        ledger.close()


def test_a_digest_signed_by_another_key_or_altered_does_not_verify() -> None:
    key = Ed25519PrivateKey.generate()
    from datetime import UTC, datetime

    from ledger.checkpoints import sign

    digest = sign(
        key,
        position=3,
        tree_size=3,
        head_hash=bytes(32),
        merkle_root=bytes(32),
        signed_at=datetime(2022, 2, 3, tzinfo=UTC),
    )
    assert digest.signature_is_valid()
    data = digest.to_json()
    data["head_hash"] = "11" * 32
    assert not Digest.from_json(data).signature_is_valid()
    data = digest.to_json()
    data["public_key"] = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    assert not Digest.from_json(data).signature_is_valid()
    with pytest.raises(InvalidDigest, match="lacks 'signature'"):
        Digest.from_json({k: v for k, v in digest.to_json().items() if k != "signature"})

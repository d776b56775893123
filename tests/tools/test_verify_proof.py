"""An inclusion proof checks out with the standalone tools/verify_proof.py, and fails after
tampering, on both backends."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.errors import NotFound
from ledger import integrity
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import basics, party
from tests.tools.tampering import Attacker

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_proof.py"


def run_script(tmp_path: Path, proof: dict[str, Any], digest: dict[str, Any]) -> tuple[int, str]:
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    (tmp_path / "digest.json").write_text(json.dumps(digest))
    done = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), "proof.json", "--digest", "digest.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    instance = Ledger(settings)
    instance.record([*basics(), *(party(f"p{i}") for i in range(6))], recorded_by="s")  # 1..11
    try:
        yield instance
    finally:
        instance.close()


def test_a_proof_verifies_with_the_standalone_script(ledger: Ledger, tmp_path: Path) -> None:
    digest = integrity.create_checkpoint(ledger, Ed25519PrivateKey.generate()).to_json()
    for item in ledger.recorded()[::3]:
        proof = integrity.proof_for(ledger, item.id)
        code, output = run_script(tmp_path, proof, digest)
        assert code == 0, output
        assert f"decision {item.id} is event {item.position}" in output


@pytest.mark.parametrize("victim", ["the proved event", "another event"])
def test_a_proof_fails_after_tampering(
    ledger: Ledger, settings: Settings, tmp_path: Path, victim: str
) -> None:
    digest = integrity.create_checkpoint(ledger, Ed25519PrivateKey.generate()).to_json()
    decision = ledger.recorded()[6]  # position 7
    Attacker(settings).flip_byte(7 if victim == "the proved event" else 2, offset=-3)
    code, output = run_script(tmp_path, integrity.proof_for(ledger, decision.id), digest)
    assert code == 1
    assert "INVALID" in output


def test_a_proof_fails_against_a_digest_it_was_not_made_for(ledger: Ledger, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    integrity.create_checkpoint(ledger, key)
    proof = integrity.proof_for(ledger, ledger.recorded()[0].id)
    later = integrity.create_checkpoint(ledger, key).to_json()
    code, output = run_script(tmp_path, proof, later)
    assert code == 1
    assert "another checkpoint" in output


def test_an_edited_proof_fails(ledger: Ledger, tmp_path: Path) -> None:
    digest = integrity.create_checkpoint(ledger, Ed25519PrivateKey.generate()).to_json()
    proof = integrity.proof_for(ledger, ledger.recorded()[3].id)
    proof["leaf_index"] += 1
    assert run_script(tmp_path, proof, digest)[0] == 1
    proof = integrity.proof_for(ledger, ledger.recorded()[3].id)
    proof["decision_id"] = str(ledger.recorded()[4].id)
    assert run_script(tmp_path, proof, digest)[0] == 1


def test_no_proof_without_a_covering_checkpoint(ledger: Ledger) -> None:
    first = ledger.recorded()[0]
    with pytest.raises(integrity.NoCheckpoint):
        integrity.proof_for(ledger, first.id)
    integrity.create_checkpoint(ledger, Ed25519PrivateKey.generate())
    later = ledger.record([party("later")], recorded_by="s")[0]
    with pytest.raises(integrity.NotCovered):
        integrity.proof_for(ledger, later.id)
    with pytest.raises(NotFound):
        integrity.proof_for(ledger, uuid4())

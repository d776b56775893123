#!/usr/bin/env python3
"""Check that a decision is covered by a signed checkpoint of the governance ledger.

Standalone: the Python standard library and `cryptography` only, no ledger code.

    python tools/verify_proof.py PROOF.json --digest DIGEST.json [--public-key HEX]

PROOF.json is what the ledger hands out for a decision (`ledger proof ID`, or the API);
DIGEST.json is the checkpoint digest you trust (e.g. the one published in a progress letter).
Without --digest the checkpoint inside the proof is used, which only shows the proof is
consistent with itself. With --public-key the digest must be signed by that key.

Checks, in order: the digest's Ed25519 signature; that the proof is for that checkpoint; that
the event in the proof records the decision; that its RFC 6962 audit path leads from the
event's leaf hash to the signed Merkle root. Exit code 0 if all hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DIGEST_FORMAT = "meldkamer-ledger/checkpoint/v1"
PROOF_FORMAT = "meldkamer-ledger/inclusion-proof/v1"
SIGNING_PREFIX = b"meldkamer-ledger/checkpoint/v1\n"
ENCODING_TAG = b"meldkamer-ledger/chain/v1\x00"
SIGNED_FIELDS = ("head_hash", "merkle_root", "position", "signed_at", "tree_size")


class ProofError(Exception):
    """The proof does not hold; the message says why."""


def canonical_bytes(
    notification_id: int, originator_id: str, originator_version: int, topic: str, state: bytes
) -> bytes:
    """The event's canonical bytes, as the ledger chains and hashes them (see ledger/chain.py)."""
    t = topic.encode("utf-8")
    o = originator_id.encode("utf-8")
    return b"".join(
        (
            ENCODING_TAG,
            struct.pack(">Q", notification_id),
            struct.pack(">Q", len(t)),
            t,
            struct.pack(">Q", len(o)),
            o,
            struct.pack(">q", originator_version),
            struct.pack(">Q", len(state)),
            state,
        )
    )


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162, 2.1.3.2: the root an inclusion proof leads to, or None if it cannot fit."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def check_digest(digest: dict[str, Any], public_key: str | None = None) -> None:
    """Raise ProofError unless the digest is well formed and its signature verifies."""
    if digest.get("format") != DIGEST_FORMAT:
        raise ProofError(f"not a checkpoint digest (format {DIGEST_FORMAT!r} expected)")
    try:
        signed = {name: digest[name] for name in SIGNED_FIELDS}
        key_hex = str(digest["public_key"])
        signature = bytes.fromhex(str(digest["signature"]))
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
    except (KeyError, ValueError) as error:
        raise ProofError(f"malformed digest: {error}") from None
    if public_key is not None and key_hex.lower() != public_key.strip().lower():
        raise ProofError("the digest is signed by another key than the one given")
    message = SIGNING_PREFIX + json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise ProofError("the digest's signature does not verify") from None


def check_proof(
    proof: dict[str, Any], digest: dict[str, Any] | None = None, public_key: str | None = None
) -> str:
    """Raise ProofError unless the proof shows its decision is covered by the digest."""
    if proof.get("format") != PROOF_FORMAT:
        raise ProofError(f"not an inclusion proof (format {PROOF_FORMAT!r} expected)")
    embedded = proof.get("checkpoint")
    if not isinstance(embedded, dict):
        raise ProofError("the proof names no checkpoint")
    trusted = embedded if digest is None else digest
    check_digest(trusted, public_key)
    if digest is not None and any(
        embedded.get(k) != digest.get(k) for k in (*SIGNED_FIELDS, "public_key", "signature")
    ):
        raise ProofError("the proof is for another checkpoint than the digest given")
    try:
        event = proof["event"]
        decision_id = str(UUID(str(proof["decision_id"])))
        index = int(proof["leaf_index"])
        size = int(proof["tree_size"])
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        state = base64.b64decode(event["state"], validate=True)
        leaf_data = canonical_bytes(
            int(event["notification_id"]),
            str(event["originator_id"]),
            int(event["originator_version"]),
            str(event["topic"]),
            state,
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ProofError(f"malformed proof: {error}") from None
    if size != trusted["tree_size"] or int(event["notification_id"]) > trusted["position"]:
        raise ProofError(
            f"the proof is over {size} events, the checkpoint over {trusted['tree_size']}"
        )
    try:
        recorded = json.loads(state)
    except ValueError:
        raise ProofError("the event's state is not JSON") from None
    if not isinstance(recorded, dict) or recorded.get("decision_id") != decision_id:
        raise ProofError(f"the event in the proof does not record decision {decision_id}")
    found = root_from_path(_sha256(b"\x00" + leaf_data), index, size, path)
    if found is None or found.hex() != str(trusted["merkle_root"]).lower():
        raise ProofError("the audit path does not lead to the signed Merkle root")
    return (
        f"decision {decision_id} is event {event['notification_id']} of the ledger, covered by "
        f"the checkpoint of {trusted['signed_at']} over {size} events "
        f"(key {str(trusted['public_key'])[:16]}…)"
    )


def _load(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ProofError(f"{path} does not hold a JSON object")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("proof", help="the inclusion proof (JSON)")
    parser.add_argument("--digest", help="the checkpoint digest you trust (JSON)")
    parser.add_argument("--public-key", help="the signing key you trust (hex)")
    args = parser.parse_args(argv)
    try:
        proof = _load(args.proof)
        digest = _load(args.digest) if args.digest else None
        message = check_proof(proof, digest, args.public_key)
    except (OSError, ValueError, ProofError) as error:
        print(f"INVALID: {error}", file=sys.stderr)
        return 1
    if digest is None:
        print("note: no --digest given; checked against the checkpoint inside the proof")
    print(f"OK: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

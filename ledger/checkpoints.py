"""Signed checkpoints: (position, tree size, head hash, Merkle root, time) under an Ed25519 key.

A checkpoint is recorded in the ledger itself, as an event of its own stream (so it is chained
like everything else), and handed out as a small JSON digest that can be published, e.g. in a
progress letter. Whoever holds a digest can later show that the history up to its position was
not rewritten, even by someone who recomputed the whole hash chain: they cannot sign.

The signature covers these bytes (the standalone `tools/verify_proof.py` rebuilds them):

    b"meldkamer-ledger/checkpoint/v1\\n" + JSON of {head_hash, merkle_root, position, signed_at,
    tree_size} with sorted keys, no spaces (Python: json.dumps(..., sort_keys=True,
    separators=(",", ":")))
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError
from ledger.keys import public_key_hex

CHECKPOINT_STREAM_ID = uuid5(NAMESPACE_URL, "urn:meldkamer-ledger:checkpoints")
"""Checkpoints are events of this stream; its version counts the checkpoints."""

DIGEST_FORMAT = "meldkamer-ledger/checkpoint/v1"
SIGNING_PREFIX = b"meldkamer-ledger/checkpoint/v1\n"


class InvalidDigest(DomainError):
    """Refuse a digest that is malformed or whose signature does not verify."""


class CheckpointRecorded(BaseModel):
    """A signed checkpoint of the hash chain, recorded in the ledger (not a governance decision)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    position: int
    tree_size: int
    head_hash: str
    merkle_root: str
    signed_at: str
    public_key: str
    signature: str


@dataclass(frozen=True)
class Digest:
    """A signed checkpoint as published: what a reader needs to check the ledger against."""

    position: int
    tree_size: int
    head_hash: str
    merkle_root: str
    signed_at: str
    public_key: str
    signature: str
    sequence: int | None = None

    def signed_fields(self) -> dict[str, Any]:
        return {
            "head_hash": self.head_hash,
            "merkle_root": self.merkle_root,
            "position": self.position,
            "signed_at": self.signed_at,
            "tree_size": self.tree_size,
        }

    def message(self) -> bytes:
        """The exact bytes the signature covers."""
        body = json.dumps(self.signed_fields(), sort_keys=True, separators=(",", ":"))
        return SIGNING_PREFIX + body.encode("ascii")

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key (first 8 bytes of its SHA-256, hex)."""
        return hashlib.sha256(bytes.fromhex(self.public_key)).hexdigest()[:16]

    def signature_is_valid(self) -> bool:
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            key.verify(bytes.fromhex(self.signature), self.message())
        except (ValueError, InvalidSignature):
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": DIGEST_FORMAT, **self.signed_fields()}
        data.update(public_key=self.public_key, key_id=self.key_id, signature=self.signature)
        if self.sequence is not None:
            data["sequence"] = self.sequence
        return data

    @classmethod
    def from_json(cls, data: Any) -> Digest:
        """Read a digest; raise InvalidDigest if it is malformed (the signature is not checked)."""
        if not isinstance(data, dict) or data.get("format") != DIGEST_FORMAT:
            raise InvalidDigest(f"not a checkpoint digest (format {DIGEST_FORMAT!r} expected)")
        try:
            digest = cls(
                position=_int(data["position"]),
                tree_size=_int(data["tree_size"]),
                head_hash=_hex(data["head_hash"], 32),
                merkle_root=_hex(data["merkle_root"], 32),
                signed_at=str(data["signed_at"]),
                public_key=_hex(data["public_key"], 32),
                signature=_hex(data["signature"], 64),
                sequence=None if data.get("sequence") is None else _int(data["sequence"]),
            )
        except KeyError as error:
            raise InvalidDigest(f"the digest lacks {error.args[0]!r}") from None
        except (TypeError, ValueError) as error:
            raise InvalidDigest(f"malformed digest: {error}") from None
        return digest

    @classmethod
    def from_event(cls, event: CheckpointRecorded) -> Digest:
        return cls(
            position=event.position,
            tree_size=event.tree_size,
            head_hash=event.head_hash,
            merkle_root=event.merkle_root,
            signed_at=event.signed_at,
            public_key=event.public_key,
            signature=event.signature,
            sequence=event.originator_version,
        )


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value


def _hex(value: Any, size: int) -> str:
    if not isinstance(value, str) or len(bytes.fromhex(value)) != size:
        raise ValueError(f"{value!r} is not {size} bytes of hex")
    return value.lower()


def sign(
    key: Ed25519PrivateKey,
    *,
    position: int,
    tree_size: int,
    head_hash: bytes,
    merkle_root: bytes,
    signed_at: datetime,
) -> Digest:
    """Sign a checkpoint of the chain."""
    unsigned = Digest(
        position=position,
        tree_size=tree_size,
        head_hash=head_hash.hex(),
        merkle_root=merkle_root.hex(),
        signed_at=signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        public_key=public_key_hex(key.public_key()),
        signature="",
    )
    return Digest(**{**unsigned.__dict__, "signature": key.sign(unsigned.message()).hex()})


def checkpoint_event(digest: Digest, version: int, timestamp: datetime) -> CheckpointRecorded:
    return CheckpointRecorded(
        originator_id=CHECKPOINT_STREAM_ID,
        originator_version=version,
        timestamp=timestamp,
        position=digest.position,
        tree_size=digest.tree_size,
        head_hash=digest.head_hash,
        merkle_root=digest.merkle_root,
        signed_at=digest.signed_at,
        public_key=digest.public_key,
        signature=digest.signature,
    )

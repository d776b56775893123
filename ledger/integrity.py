"""Tamper evidence: verify the hash chain, sign checkpoints, prove a decision's inclusion.

Plain functions returning JSON-ready dicts, for the CLI and the HTTP API:
`verify_report(ledger)`, `latest_checkpoint(ledger)`, `proof_for(ledger, decision_id)`.

Errors (all `domain.errors.DomainError`):

    DomainError
    ├── InvalidDigest      a digest is malformed or its signature does not verify
    ├── KeyFileError       the signing key is missing, unreadable, exposed, or would be overwritten
    ├── TamperedLedger     refuse to sign a checkpoint over a chain that does not verify
    └── NotFound
        ├── NoCheckpoint   no checkpoint has been recorded yet
        └── NotCovered     the decision was recorded after the checkpoint
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import IntegrityError, ProgrammingError

from domain.decisions import RecordedDecision
from domain.errors import DomainError, NotFound
from domain.events import LEDGER_STREAM_ID
from ledger import merkle
from ledger.chain import (
    ENCODING_TAG as TAG,
)
from ledger.chain import (
    GENESIS,
    ChainedRecorder,
    ChainRow,
    chained,
    iter_pages,
    iter_rows,
    merge,
)
from ledger.checkpoints import (
    CHECKPOINT_STREAM_ID,
    CheckpointRecorded,
    Digest,
    InvalidDigest,
    checkpoint_event,
    sign,
)
from ledger.service import DecisionFilter, Ledger
from ledger.settings import Settings
from ledger.storage import GovernanceApplication, open_store

__all__ = [
    "Digest",
    "InvalidDigest",
    "NoCheckpoint",
    "NotCovered",
    "Problem",
    "TamperedLedger",
    "Verification",
    "create_checkpoint",
    "latest_checkpoint",
    "latest_digest",
    "proof_for",
    "verify",
    "verify_chain",
    "verify_report",
]

Source = Ledger | GovernanceApplication | Settings
Progress = Callable[[int, int], None]
"""Called with (position reached, last position to check) as verification goes."""

Kind = Literal["modified", "missing", "inserted", "reordered"]

PROOF_FORMAT = "meldkamer-ledger/inclusion-proof/v1"
PAGE = 2000
_QQ, _Q, _SIGNED_QQ = struct.Struct(">QQ"), struct.Struct(">Q"), struct.Struct(">qQ")


class TamperedLedger(DomainError):
    """Refuse to sign a checkpoint over a chain that does not verify."""


class NoCheckpoint(NotFound):
    """Report that no checkpoint has been recorded yet."""


class NotCovered(NotFound):
    """Report that a decision was recorded after the checkpoint asked for."""


@dataclass(frozen=True)
class Problem:
    """The first thing wrong: where (notification id), what, and what shows it."""

    position: int
    kind: Kind
    detail: str
    evidence: Literal["chain", "checkpoint"] = "chain"

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "kind": self.kind,
            "detail": self.detail,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of recomputing the chain (and checking it against a digest, if given)."""

    count: int
    head_position: int
    head_hash: bytes
    problem: Problem | None
    against: Digest | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "count": self.count,
            "head_position": self.head_position,
            "head_hash": self.head_hash.hex(),
            "problem": self.problem.to_json() if self.problem else None,
        }
        if self.against is not None:
            data["against"] = {
                "position": self.against.position,
                "tree_size": self.against.tree_size,
                "signed_at": self.against.signed_at,
                "key_id": self.against.key_id,
            }
        return data


@contextmanager
def _opened(source: Source) -> Iterator[GovernanceApplication]:
    if isinstance(source, Settings):
        store = open_store(source)
        try:
            yield store
        finally:
            store.close()
    elif isinstance(source, GovernanceApplication):
        yield source
    else:
        yield source.store  # the Ledger's own store: no second connection pool


def _recorder(store: GovernanceApplication) -> ChainedRecorder:
    return chained(store.recorder)


# --- verification -----------------------------------------------------------------------------


def verify(
    source: Source,
    *,
    against: Digest | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Recompute the chain over every stored event; report OK or the first bad position.

    With `against`, also check the history up to the digest's position against its signed head
    hash, which catches a cut tail and a chain recomputed after a change. The digest's
    signature must verify (InvalidDigest otherwise); whose key it is, the caller decides.
    """
    if against is not None and not against.signature_is_valid():
        raise InvalidDigest("the digest's signature does not verify")
    with _opened(source) as store:
        return verify_chain(_recorder(store), against=against, progress=progress)


def verify_chain(
    recorder: ChainedRecorder,
    *,
    against: Digest | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Verify the chain kept by one chained recorder (see `verify`)."""
    return _verify(recorder, against, progress, None)


def _verify(
    recorder: ChainedRecorder,
    against: Digest | None,
    progress: Progress | None,
    leaves: list[bytes] | None,
) -> Verification:
    upto = recorder.max_position()
    previous, count, head = GENESIS, 0, 0
    checkpoint_open = against is not None and against.position > 0
    problem: Problem | None = None

    def fail(found: Problem) -> Verification:
        return Verification(count, head, previous, found, against)

    sha256, pack_qq, pack_q, pack_qqsigned = hashlib.sha256, _QQ.pack, _Q.pack, _SIGNED_QQ.pack
    for events, hashes in iter_pages(recorder, upto, PAGE):
        if progress is not None:
            progress(events[-1][0] if events else hashes[-1][0], upto)
        stop = against.position if checkpoint_open and against is not None else None
        if (
            len(events) == len(hashes)
            and (stop is None or events[-1][0] < stop)
            and all(e[0] == h[0] for e, h in zip(events, hashes, strict=True))
        ):
            # Fast path: every event has its chain row; check the page in one tight loop.
            state_before, page_leaves = previous, []
            for (nid, oid, version, topic, state), (_, stored) in zip(events, hashes, strict=True):
                t, o = topic.encode(), oid.encode()
                canonical = b"".join(
                    (TAG, pack_qq(nid, len(t)), t, pack_q(len(o)), o,
                     pack_qqsigned(version, len(state)), state)
                )  # fmt: skip
                digest = sha256(previous + canonical).digest()
                if digest != stored:
                    break
                previous = digest
                if leaves is not None:
                    page_leaves.append(merkle.leaf_hash(canonical))
            else:
                count, head = count + len(events), events[-1][0]
                if leaves is not None:
                    leaves.extend(page_leaves)
                continue
            # Something is wrong in this page: go through it again, row by row.
            previous = state_before
        for row in merge(events, hashes):
            position = row.notification_id
            if checkpoint_open and against is not None and position > against.position:
                # The signed position is gone, and the chain was rebuilt around it.
                return fail(_checkpoint_missing(against, head))
            if row.event is None:
                return fail(
                    Problem(position, "missing", "the event was deleted; its chain record remains")
                )
            if row.hash is None:
                return fail(
                    Problem(position, "inserted", "an event without a chain record was slipped in")
                )
            canonical = row.canonical()
            digest = sha256(previous + canonical).digest()
            if digest != row.hash:
                return fail(_classify(recorder, row, upto))
            previous, count, head = digest, count + 1, position
            if leaves is not None:
                leaves.append(merkle.leaf_hash(canonical))
            if checkpoint_open and against is not None and position == against.position:
                checkpoint_open = False
                if digest.hex() != against.head_hash or count != against.tree_size:
                    return fail(
                        Problem(
                            position,
                            "modified",
                            "the history up to this signed checkpoint was rewritten: the "
                            f"recomputed head hash {digest.hex()[:16]}… ({count} events) "
                            f"differs from the signed {against.head_hash[:16]}… "
                            f"({against.tree_size} events)",
                            "checkpoint",
                        )
                    )
    if checkpoint_open and against is not None:
        problem = _checkpoint_missing(against, head)
    if progress is not None:
        progress(upto, upto)
    return Verification(count, head, previous, problem, against)


def _checkpoint_missing(against: Digest, head: int) -> Problem:
    return Problem(
        head + 1,
        "missing",
        f"events after position {head} are gone: the signed checkpoint covers "
        f"{against.tree_size} events up to position {against.position}",
        "checkpoint",
    )


def _classify(recorder: ChainedRecorder, bad: ChainRow, upto: int) -> Problem:
    """Tell an event moved from elsewhere (reordered) from a changed one (modified)."""
    previous = GENESIS
    for row in iter_rows(recorder, upto, PAGE):
        if row.hash is None:
            continue
        if row.notification_id != bad.notification_id:
            moved = hashlib.sha256(previous + bad.canonical(row.notification_id)).digest()
            if moved == row.hash:
                return Problem(
                    bad.notification_id,
                    "reordered",
                    f"the event stored here was recorded at position {row.notification_id}",
                )
        previous = row.hash
    return Problem(
        bad.notification_id,
        "modified",
        "the event (or its chain record) differs from what was recorded",
    )


def verify_report(ledger: Ledger, against: dict[str, Any] | None = None) -> dict[str, Any]:
    """Verify the ledger's chain (against a digest, if given); a JSON-ready report."""
    digest = Digest.from_json(against) if against is not None else None
    return verify(ledger, against=digest).to_json()


# --- checkpoints ------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_checkpoint(
    source: Source,
    key: Ed25519PrivateKey,
    *,
    clock: Callable[[], datetime] = utc_now,
    progress: Progress | None = None,
) -> Digest:
    """Verify the chain, sign its head and Merkle root, and record the checkpoint in the ledger."""
    with _opened(source) as store:
        leaves: list[bytes] = []
        result = _verify(_recorder(store), None, progress, leaves)
        if result.problem is not None:
            p = result.problem
            raise TamperedLedger(
                f"refusing to sign: position {p.position} is {p.kind} ({p.detail})"
            )
        digest = sign(
            key,
            position=result.head_position,
            tree_size=result.count,
            head_hash=result.head_hash,
            merkle_root=merkle.root(leaves),
            signed_at=clock(),
        )
        for _attempt in range(20):
            last = _last_checkpoint(store)
            version = 1 if last is None else last.originator_version + 1
            try:
                store.save(checkpoint_event(digest, version, clock()))
            except IntegrityError:
                continue  # another checkpoint was recorded meanwhile: take the next number
            return replace(digest, sequence=version)
        raise TamperedLedger("could not record the checkpoint: other checkpoints kept winning")


def _last_checkpoint(store: GovernanceApplication) -> CheckpointRecorded | None:
    events = list(store.events.get(CHECKPOINT_STREAM_ID, desc=True, limit=1))
    if not events:
        return None
    event = events[0]
    assert isinstance(event, CheckpointRecorded)
    return event


def latest_digest(source: Source) -> Digest | None:
    """The most recent checkpoint recorded in the ledger, if any."""
    with _opened(source) as store:
        event = _last_checkpoint(store)
    return None if event is None else Digest.from_event(event)


def latest_checkpoint(source: Source) -> dict[str, Any] | None:
    """The latest checkpoint as a small JSON digest (None if there is none)."""
    digest = latest_digest(source)
    return None if digest is None else digest.to_json()


# --- inclusion proofs -------------------------------------------------------------------------


def proof_for(
    ledger: Ledger, decision_id: UUID, checkpoint: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An RFC 6962 audit path showing the decision is covered by a (the latest) checkpoint."""
    position = ledger.get(decision_id).recorded.position  # NotFound if unknown
    store: GovernanceApplication = ledger.store
    digest = Digest.from_json(checkpoint) if checkpoint is not None else latest_digest(store)
    if digest is None:
        raise NoCheckpoint("no checkpoint has been recorded yet; run `ledger checkpoint`")
    recorder = _recorder(store)
    notification_id = recorder.notification_id_of(LEDGER_STREAM_ID, position)
    if notification_id is None:
        raise NotFound(f"the event of decision {decision_id} is not in the store")
    if notification_id > digest.position:
        raise NotCovered(
            f"decision {decision_id} was recorded at position {notification_id}, after the "
            f"checkpoint at position {digest.position}; sign a new checkpoint first"
        )
    leaves: list[bytes] = []
    index: int | None = None
    found: ChainRow | None = None
    for row in iter_rows(recorder, digest.position, PAGE):
        if row.event is None:
            continue
        if row.notification_id == notification_id:
            index, found = len(leaves), row
        leaves.append(merkle.leaf_hash(row.canonical()))
    assert index is not None and found is not None and found.event is not None
    _, originator_id, originator_version, topic, state = found.event
    return {
        "format": PROOF_FORMAT,
        "decision_id": str(decision_id),
        "leaf_index": index,
        "tree_size": len(leaves),
        "event": {
            "notification_id": notification_id,
            "originator_id": originator_id,
            "originator_version": originator_version,
            "topic": topic,
            "state": base64.b64encode(state).decode("ascii"),
        },
        "audit_path": [h.hex() for h in merkle.audit_path(leaves, index)],
        "checkpoint": digest.to_json(),
    }


def resting_on(ledger: Ledger, sha256: str, document_id: str) -> list[tuple[RecordedDecision, str]]:
    """The decisions that rest on a file with this SHA-256 (`klopt`), and those that name the
    document `document_id` with no hash (`zonder`) or another one (`afwijkend`), by position."""
    found: dict[int, tuple[RecordedDecision, str]] = {}
    for needle in (sha256, document_id):
        after = 0
        while True:
            page, _ = ledger.search(DecisionFilter(text=needle), after=after, limit=1000)
            for item in page:
                document = item.decision.document
                if document is None:
                    continue
                if document.sha256 == sha256:
                    found[item.position] = (item, "klopt")
                elif document.id == document_id:
                    found[item.position] = (item, "afwijkend" if document.sha256 else "zonder")
            if len(page) < 1000:
                break
            after = page[-1].position
    return [found[position] for position in sorted(found)]


def chain_hash(ledger: Ledger, position: int) -> str | None:
    """The hash-chain value stored with the event of the decision at `position` (hex), if the
    store keeps one: it fixes everything recorded up to it."""
    try:
        recorder = chained(ledger.store.recorder)
    except ProgrammingError:  # a store without a chain has no hash to show
        return None
    notification_id = recorder.notification_id_of(LEDGER_STREAM_ID, position)
    if notification_id is None:
        return None
    _, hashes = recorder.select_page(notification_id - 1, notification_id, 1)
    return next((h.hex() for nid, h in hashes if nid == notification_id), None)

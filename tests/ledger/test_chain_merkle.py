"""The Merkle tree is RFC 6962's, and the canonical encoding of events is unambiguous."""

from __future__ import annotations

import hashlib
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from ledger import merkle
from ledger.chain import canonical_bytes


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH as the RFC defines it: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(rfc6962_root(leaves[:k]), rfc6962_root(leaves[k:]))


def test_root_and_every_audit_path_agree_with_the_rfc_definition_up_to_70_leaves() -> None:
    for n in range(71):
        data = [f"event {i}".encode() for i in range(n)]
        hashes = [merkle.leaf_hash(d) for d in data]
        expected = rfc6962_root(data)
        assert merkle.root(hashes) == expected
        for i in range(n):
            path = merkle.audit_path(hashes, i)
            assert merkle.root_from_path(hashes[i], i, n, path) == expected


def test_an_audit_path_fails_for_another_leaf_index_or_size() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(11)]
    root = merkle.root(hashes)
    path = merkle.audit_path(hashes, 6)
    assert merkle.root_from_path(hashes[6], 6, 11, path) == root
    assert merkle.root_from_path(hashes[6], 7, 11, path) != root
    assert merkle.root_from_path(hashes[6], 6, 7, path) != root
    assert merkle.root_from_path(hashes[5], 6, 11, path) != root


event = st.tuples(
    st.integers(0, 2**63), st.uuids(), st.integers(-(2**63), 2**63 - 1), st.text(), st.binary()
)


@given(event, event)
def test_different_events_never_share_canonical_bytes(
    a: tuple[int, UUID, int, str, bytes], b: tuple[int, UUID, int, str, bytes]
) -> None:
    if a != b:
        assert canonical_bytes(*a) != canonical_bytes(*b)


def test_moving_bytes_between_topic_and_state_changes_the_encoding() -> None:
    oid = UUID(int=1)
    assert canonical_bytes(1, oid, 1, "ab", b"c") != canonical_bytes(1, oid, 1, "a", b"bc")

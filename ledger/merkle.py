"""A Merkle tree over the ledger's events, as in RFC 6962 (Certificate Transparency), section 2.1.

Leaves are the events' canonical bytes (`ledger.chain.canonical_bytes`) in notification-id
order: leaf hash = SHA-256(0x00 || canonical bytes), node hash = SHA-256(0x01 || left || right).
The tree over n leaves splits at the largest power of two below n; building it level by level,
pairing left to right and lifting an odd last node unchanged, gives the same tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree over no leaves (RFC 6962: the hash of the empty string)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    paired = [node_hash(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash over the leaf hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def audit_path(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 6962 audit path of leaf `index`: sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaf_hashes)} leaves")
    path: list[bytes] = []
    level = list(leaf_hashes)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        level = _next_level(level)
        index //= 2
    return path


def root_from_path(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes | None:
    """The root an audit path leads to (RFC 9162, 2.1.3.2), or None if the path cannot fit."""
    if not 0 <= index < tree_size:
        return None
    fn, sn, r = index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None

"""RFC 9162 Merkle trees: hashing, inclusion and consistency proofs (issue 20.5), pure functions.

The transparency log (services/tlog) stores the hash of every *perfect* subtree: node (level, index)
covers leaves [index * 2**level, (index + 1) * 2**level).  Every hash a proof needs is either such a
node or the RFC's MTH of a right edge D[k:n], which splits into perfect nodes; so a proof reads
O(log² n) stored hashes whatever the log's size (10^5 leaves or 10^9), never the leaves themselves.

The functions here take the nodes as a callable ``node(level, index) -> bytes``; the caller decides
where they come from (a dict in tests, the database in the service).  `needed_nodes` runs a
computation with a recording callable, so the service fetches every node in one query first.

References are to RFC 9162 ("Certificate Transparency Version 2.0"), section 2.1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

LEAF_PREFIX = b"\x00"  # RFC 9162 s.2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0))
NODE_PREFIX = b"\x01"  # RFC 9162 s.2.1.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 s.2.1.1: MTH({}) = SHA-256()
HASH_SIZE = 32

NodeSource = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof was asked for something the tree does not hold (an index or size out of range)."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf's data."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1), where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, by the RFC's recursive definition (for small lists and tests)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


# -- hashes from stored perfect subtrees ----------------------------------------------------------

def subtree(node: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from the perfect nodes (start < end)."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = split_point(size) if size & (size - 1) else size // 2
    return node_hash(subtree(node, start, start + k), subtree(node, start + k, end))


def tree_root(node: NodeSource, size: int) -> bytes:
    """The root hash of the tree of the first `size` leaves."""
    return EMPTY_ROOT if size == 0 else subtree(node, 0, size)


def nodes_after_append(index: int, leaf: bytes, node: NodeSource) -> list[tuple[int, int, bytes]]:
    """The perfect nodes that exist once leaf `index` is appended: (level, index, hash), leaf first.

    Leaf `index` completes one perfect subtree per trailing one bit of `index`; each joins the
    completed subtree on its left (read through `node`) with the one just made.
    """
    made = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position % 2 == 1:
        current = node_hash(node(level, position - 1), current)
        level, position = level + 1, position // 2
        made.append((level, position, current))
    return made


# -- proofs (RFC 9162 s.2.1.3.1 and s.2.1.4.1), over ranges of the stored tree ---------------------

def inclusion_proof(node: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]): the audit path of leaf `index`, from the leaf upwards."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    return _path(node, index, 0, size)


def _path(node: NodeSource, m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*_path(node, m, start, start + k), subtree(node, start + k, end)]
    return [*_path(node, m - k, start + k, end), subtree(node, start, start + k)]


def consistency_proof(node: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]): shows the first `old_size` leaves are a prefix of `new_size`."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(node, old_size, 0, new_size, True)


def _subproof(node: NodeSource, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree(node, start, end)]
    k = split_point(n)
    if m <= k:
        return [*_subproof(node, m, start, start + k, whole), subtree(node, start + k, end)]
    return [*_subproof(node, m - k, start + k, end, False), subtree(node, start, start + k)]


def needed_nodes(compute: Callable[[NodeSource], object]) -> set[tuple[int, int]]:
    """The (level, index) of every stored node `compute` reads, found by running it on zero hashes."""
    seen: set[tuple[int, int]] = set()

    def recording(level: int, index: int) -> bytes:
        seen.add((level, index))
        return bytes(HASH_SIZE)

    compute(recording)
    return seen


# -- verification (RFC 9162 s.2.1.3.2 and s.2.1.4.2), as an independent verifier runs it -----------

def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """True when `path` proves leaf hash `leaf` is entry `index` of the tree of `size` with `root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, path: Sequence[bytes],
                       old_root: bytes, new_root: bytes) -> bool:
    """True when `path` proves the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path  # the empty tree is a prefix of every tree
    if not path:
        return False
    proof = list(path)
    if old_size & (old_size - 1) == 0:
        proof.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0

"""RFC 9162 Merkle trees (domain/merkle.py) against the RFC's own definitions, sizes 1..33.

The reference below is written from RFC 9162 s.2.1.1, s.2.1.3.1 and s.2.1.4.1 on plain lists of leaf
data (no stored nodes, no shortcuts): MTH, PATH and PROOF exactly as the text defines them. The code
under test computes from perfect-subtree hashes, as the service does; both must agree everywhere,
and the RFC's verification algorithms must accept every proof and refuse altered ones.
"""

from __future__ import annotations

import hashlib

import pytest

from certexam.domain import merkle

SIZES = range(1, 34)


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    return subproof(m, d[:k], b) + [mth(d[k:])] if m <= k else subproof(m - k, d[k:], False) + [mth(d[:k])]


DATA = [f"leaf {i}".encode() for i in range(40)]


def stored(size: int) -> dict[tuple[int, int], bytes]:
    """The perfect nodes the service would have stored after `size` appends."""
    nodes: dict[tuple[int, int], bytes] = {}
    for i in range(size):
        for level, index, h in merkle.nodes_after_append(i, merkle.leaf_hash(DATA[i]),
                                                         lambda lv, ix: nodes[(lv, ix)]):
            nodes[(level, index)] = h
    return nodes


@pytest.mark.parametrize("n", SIZES)
def test_root_matches_the_rfc_definition(n: int) -> None:
    nodes = stored(n)
    assert merkle.tree_root(lambda lv, ix: nodes[(lv, ix)], n) == mth(DATA[:n])
    assert merkle.root_of([merkle.leaf_hash(x) for x in DATA[:n]]) == mth(DATA[:n])


def test_two_nodes_per_leaf_are_stored() -> None:
    assert len(stored(32)) == 63  # a perfect tree of 32 leaves
    assert len(stored(33)) == 64


def test_empty_tree() -> None:
    assert merkle.tree_root(lambda lv, ix: b"", 0) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_proofs_match_and_verify(n: int) -> None:
    nodes = stored(n)
    root = mth(DATA[:n])
    for m in range(n):
        proof = merkle.inclusion_proof(lambda lv, ix: nodes[(lv, ix)], m, n)
        assert proof == path(m, DATA[:n])
        leaf = merkle.leaf_hash(DATA[m])
        assert merkle.verify_inclusion(leaf, m, n, proof, root)
        assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), m, n, proof, root)
        if n > 1:
            assert not merkle.verify_inclusion(leaf, (m + 1) % n, n, proof, root)
            assert not merkle.verify_inclusion(leaf, m, n, proof[:-1], root)
            assert not merkle.verify_inclusion(leaf, m, n, [*proof, proof[0]], root)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs_match_and_verify(n: int) -> None:
    nodes = stored(n)
    new_root = mth(DATA[:n])
    for m in range(1, n + 1):
        proof = merkle.consistency_proof(lambda lv, ix: nodes[(lv, ix)], m, n)
        assert proof == (subproof(m, DATA[:n], True) if m < n else [])
        assert merkle.verify_consistency(m, n, proof, mth(DATA[:m]), new_root)
        if m < n:
            # an old head that is not a prefix, and a new head that is not the tree's, are refused
            altered_old = mth([b"rewritten", *DATA[1:m]])
            assert not merkle.verify_consistency(m, n, proof, altered_old, new_root)
            assert not merkle.verify_consistency(m, n, proof, mth(DATA[:m]), mth(DATA[:n - 1] + [b"x"]))
            assert not merkle.verify_consistency(m, n, proof[:-1], mth(DATA[:m]), new_root)


def test_proofs_out_of_range_are_refused() -> None:
    nodes = stored(5)
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(lambda lv, ix: nodes[(lv, ix)], 5, 5)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(lambda lv, ix: nodes[(lv, ix)], 6, 5)
    assert not merkle.verify_consistency(6, 5, [], b"", b"")
    assert merkle.verify_consistency(0, 5, [], b"", mth(DATA[:5]))


def test_a_proof_reads_few_nodes_of_a_large_tree() -> None:
    # 10^5 leaves: the service fetches only what the proof needs (O(log² n)), never the leaves
    wanted = merkle.needed_nodes(lambda node: merkle.inclusion_proof(node, 12_345, 100_000))
    assert 0 < len(wanted) <= 17 * 17
    assert len(merkle.needed_nodes(lambda node: merkle.consistency_proof(node, 77_777, 100_000))) <= 17 * 17

"""Status-list bitstrings (W3C Bitstring Status List v1.0), the freshness rule and the backdating rule."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, date, datetime, timedelta

import pytest

from certexam.domain.backdating import BACKDATING_TOLERANCE, is_backdated
from certexam.domain.status_bits import (
    LIST_BITS,
    LIST_BYTES,
    StatusListError,
    bit_is_set,
    bitstring,
    decode_list,
    encode_list,
    is_fresh,
    pick_index,
)


def test_the_list_is_16_kb_and_index_0_is_the_first_bytes_high_bit() -> None:
    """v1.0 s.3.2: the left-most bit of the bitstring is index 0."""
    bits = bitstring([0, 9, LIST_BITS - 1])
    assert len(bits) == LIST_BYTES == 16_384
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01 and sum(bits) == 0x80 + 0x40 + 0x01
    assert [i for i in range(LIST_BITS) if bit_is_set(bits, i)] == [0, 9, LIST_BITS - 1]


def test_encoded_list_is_multibase_base64url_of_gzip_and_round_trips() -> None:
    bits = bitstring([3, 70_000])
    encoded = encode_list(bits)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    body = encoded[1:]
    assert gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == bits  # stdlib alone
    assert decode_list(encoded) == bits
    assert encode_list(bits) == encoded  # mtime 0: the same bits, the same text
    assert len(encode_list(bitstring([]))) < 200  # an empty 16 KB list compresses to almost nothing


@pytest.mark.parametrize("bad", ["", "zH4sI", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode(),
                                 encode_list(bitstring([]))[1:],  # no multibase prefix
                                 "u" + base64.urlsafe_b64encode(gzip.compress(bytes(100), mtime=0)).decode()],
                         ids=["empty", "other-multibase", "not-base64", "not-gzip", "no-prefix", "too-short"])
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(StatusListError):
        decode_list(bad)


def test_indices_outside_the_list_are_refused() -> None:
    with pytest.raises(StatusListError):
        bitstring([LIST_BITS])
    with pytest.raises(StatusListError):
        bit_is_set(bitstring([]), LIST_BITS)
    with pytest.raises(StatusListError):
        bitstring([], size=LIST_BITS // 2)  # shorter than the herd-privacy minimum


def test_random_indices_avoid_the_taken_ones() -> None:
    taken = set(range(LIST_BITS)) - {12_345}
    assert pick_index(taken) == 12_345
    with pytest.raises(StatusListError):
        pick_index(set(range(LIST_BITS)))
    assert len({pick_index(()) for _ in range(50)}) > 40  # random, not sequential


def test_a_list_is_fresh_until_its_exp_and_not_at_it() -> None:
    exp = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    assert is_fresh(exp, exp - timedelta(seconds=1))
    assert not is_fresh(exp, exp)
    assert not is_fresh(exp, exp + timedelta(days=30))


def test_backdating_at_the_boundary() -> None:
    key_day = date(2026, 12, 7)
    assert BACKDATING_TOLERANCE == timedelta(days=2)
    assert not is_backdated(key_day, key_day)
    assert not is_backdated(key_day + timedelta(days=400), key_day)  # signed later: fine
    assert not is_backdated(key_day - BACKDATING_TOLERANCE, key_day)  # exactly the tolerance: accepted
    assert is_backdated(key_day - BACKDATING_TOLERANCE - timedelta(days=1), key_day)
    assert is_backdated(date(2022, 5, 1), key_day)  # issue 20.4's example


def test_decide_rejects_a_backdated_token_before_the_register_speaks() -> None:
    from certexam.domain.verdict import CertificateRecord, CertStatus, SignatureCheck, VerdictCode, decide

    number, key_day = "SHMFTPP-L2-2026-000123-2", date(2026, 12, 1)
    record = CertificateRecord(number, CertStatus.REVOKED, date(2022, 5, 1))
    old = SignatureCheck(True, "ok", number, signed_on=date(2022, 5, 1), key_created_on=key_day)
    verdict = decide(old, record, date(2026, 12, 7))
    assert verdict.code is VerdictCode.BACKDATED and verdict.since == date(2022, 5, 1) and not verdict.valid
    edge = SignatureCheck(True, "ok", number, signed_on=key_day - BACKDATING_TOLERANCE, key_created_on=key_day)
    valid = CertificateRecord(number, CertStatus.VALID, key_day - BACKDATING_TOLERANCE)
    assert decide(edge, valid, date(2026, 12, 7)).code is VerdictCode.VALID

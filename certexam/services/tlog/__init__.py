"""The issuance transparency log (issue 20.5): an append-only RFC 9162 Merkle log, one word: tlog.

=============  =================================================================================
log.py         appending leaves (inside the caller's transaction), the tree's hashes, proofs
checkpoints.py the log's Ed25519 key and its signed checkpoints (C2SP tlog-checkpoint)
anchor.py      the audit log's head into the log (hourly and at each release), and the comparison
               `certexam audit verify` prints
check.py       `certexam log verify` (the whole log) and `certexam log consistency OLD`
=============  =================================================================================

Pure rules and formats: certexam/domain/merkle.py and certexam/domain/tlog.py.
"""

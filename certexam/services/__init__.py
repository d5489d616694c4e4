"""The use cases, one subpackage per feature; each use case is one transaction.

=============  ============================================================
platform       audit log, mail, uploads, backup, the clock and calendar
accounts       registration, sign-in, passwords, API tokens, organisations
bank           question-bank import, editing, review, export; the item cache
sittings       sittings, registrations, blueprints
attempts       an attempt's life: start, autosave, paper, submit, practice,
               proctoring
results        scoring, marking, release, re-checks, key corrections, item
               analysis
certificates   issuing, PDFs, verification, status changes, signing keys
bonus          the holder bonus: records, applications, notice, budget,
               payouts, fraud
subsidies      training subsidies: projects, applications, notice, each
               measure's budget; paid by the bonus's payout batches
=============  ============================================================

Services import the domain, the models and each other, never `certexam.web`,
a blueprint or the CLI (tests/unit/test_layers.py). Time comes from
`platform.clock`, never from `datetime.now()`.

Three ways to run a use case, all in `certexam.db`, each one transaction that
commits in exactly one place:

``db.use_case``
    The default, for every ORM use case. It ends whatever read the request
    had open, begins afresh (on SQLite with ``BEGIN IMMEDIATE``, so two
    writers queue for the lock instead of failing with SQLITE_BUSY), commits
    on return and rolls back on any exception. Nested use cases join the
    outer one.

``db.core_use_case``
    For a use case that reads nothing through the ORM before it writes
    (the exam clock resync, a flag's fallback path). On PostgreSQL it keeps
    the request's read transaction instead of rolling it back first: at READ
    COMMITTED each statement sees what is committed anyway, and one round trip
    fewer counts on an endpoint every candidate calls. Loaded objects are
    expired, as a rollback would.

``db.hot_use_case``
    For the exam's hottest writes: autosave, flags, a planned start and the
    usual submit (services/attempts). It runs on a Core connection of its own,
    checked out before SQLite's writer turn, so the turn (one writer at a time
    on the whole machine) covers only BEGIN IMMEDIATE, the statements and
    COMMIT. Why it exists, measured in issue 4: with the ORM session inside
    the turn an autosave cost 0.44 ms of CPU in process against 0.33 ms for
    the bare durable upsert, and the start minute's turn waited on the GIL;
    on the hot path it is 0.38 ms, and the exam-day benchmark keeps autosave
    at 77-79 % of the bare write on SQLite with 10,000 candidates
    (BENCHMARKS.md). It must not use the ORM session; an ORM use case inside
    it is refused.
"""

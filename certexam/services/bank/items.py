"""Question-bank use cases: import (all or nothing), edit, review, export, list."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session

from certexam import db
from certexam.bankio import reader
from certexam.bankio.errors import ParseResult
from certexam.bankio.moodle_map import MoodleOptions
from certexam.domain import item_codec
from certexam.domain.bank_workflow import Action, VersionStatus, WorkflowError, next_status
from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.duties import import_reviewer
from certexam.domain.items import Item
from certexam.errors import Forbidden, NotFound, UserError
from certexam.models import AttemptItem, BankItem, BankItemVersion, Role, User
from certexam.services.bank import translations
from certexam.services.platform import audit, clock

Progress = Callable[[int], None]
AUDIT_ID_CHARS = 64  # the length of audit_entry.object_id


def existing_ids(sess: Session) -> set[str]:
    return set(sess.scalars(select(BankItem.external_id)))


def validate(sources: Iterable[reader.Source], moodle: MoodleOptions | None = None) -> ParseResult:
    """Parse and check files against the bank as it is; writes nothing.

    ``moodle``: the Moodle files' category mapping and choices (skip unsupported questions, essay subtype).
    """
    sess = db.session()
    # A bank file can be checked before any database exists (a writer's machine, CI): ids are then
    # checked within the files only.
    known = existing_ids(sess) if inspect(sess.connection()).has_table(BankItem.__tablename__) else set()
    return reader.read_files(list(sources), known, moodle=moodle)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[str] = field(default_factory=list)


def _apply_version(sess: Session, bank_item: BankItem, version: BankItemVersion, item: Item) -> None:
    bank_item.status = version.status
    bank_item.languages = "," + ",".join(item.languages()) + ","  # commas on both ends: exact matching
    bank_item.search_text = item_codec.search_text(item)
    bank_item.type = item.type
    bank_item.module = item.module
    bank_item.level = MODULES_BY_CODE[item.module].level
    bank_item.latest_version_no = version.version_no
    bank_item.updated_at = version.created_at
    if version.status == VersionStatus.APPROVED:
        _supersede(sess, bank_item, version)


def _supersede(sess: Session, bank_item: BankItem, version: BankItemVersion) -> None:
    if bank_item.approved_version_id and bank_item.approved_version_id != version.id:
        old = sess.get(BankItemVersion, bank_item.approved_version_id)
        if old is not None and old.status == VersionStatus.APPROVED:
            old.status = VersionStatus.SUPERSEDED
    bank_item.approved_version_id = version.id


@db.use_case
def import_items(items: Sequence[Item], actor: User | None, *, approve: bool = False,
                 source: str = "", progress: Progress | None = None, reviewer: User | None = None) -> ImportReport:
    """Store parsed items as new versions in one transaction.

    An item whose content equals its newest version is left alone. With
    `approve` (the CLI's bulk load, audited) the new versions are approved at
    once by `reviewer`, an item reviewer who is not the importer `actor`
    (issue 19.6: four eyes; `certexam bank import --approve` names both);
    otherwise they are drafts awaiting review. Without a reviewer only code
    loads approved items (the demo, test fixtures).
    """
    sess = db.session()
    now = clock.now()
    actor_id = actor.id if actor else None
    if reviewer is not None:
        if not approve:
            raise UserError(_("A reviewer is named only to approve the imported versions."))
        if not (reviewer.active and reviewer.has_role(Role.ITEM_REVIEWER)):
            raise Forbidden(_("%(email)s is not an active item reviewer.", email=reviewer.email))
        if import_reviewer(actor_id, reviewer.id) is not None:
            raise Forbidden(_("The importer cannot review their own import: name a different item reviewer."))
    reviewer_id = reviewer.id if reviewer is not None else actor_id
    status = VersionStatus.APPROVED if approve else VersionStatus.DRAFT
    by_ext = {bi.external_id: bi for bi in sess.scalars(
        select(BankItem).where(BankItem.external_id.in_([i.id for i in items])))} if items else {}
    latest = {item_id: (digest, version_id) for item_id, digest, version_id in sess.execute(
        select(BankItemVersion.item_id, BankItemVersion.content_hash, BankItemVersion.id)
        .join(BankItem, BankItem.id == BankItemVersion.item_id)
        .where(BankItem.external_id.in_(list(by_ext)), BankItemVersion.version_no == BankItem.latest_version_no)
    )} if by_ext else {}
    report = ImportReport()
    for n, item in enumerate(items, 1):
        digest = item_codec.content_hash(item)
        bank_item = by_ext.get(item.id)
        if bank_item is not None and latest.get(bank_item.id, ("", 0))[0] == digest:
            report.unchanged += 1
            if item.stats is not None:  # issue 21: new statistics are no new content, so no new version
                sess.execute(update(BankItemVersion).where(BankItemVersion.id == latest[bank_item.id][1])
                             .values(facility=item.stats.facility, facility_n=item.stats.n))
        else:
            if bank_item is None:
                bank_item = BankItem(external_id=item.id, level=0, module=item.module, type=item.type,
                                     status=status, languages="", search_text="", latest_version_no=0,
                                     created_at=now, updated_at=now)
                sess.add(bank_item)
                sess.flush()
                report.created += 1
            else:
                report.updated += 1
            version = BankItemVersion(
                item_id=bank_item.id, version_no=bank_item.latest_version_no + 1, content=item_codec.to_json(item),
                content_hash=digest, status=status, created_by_id=actor_id, created_at=now,
                reviewed_by_id=reviewer_id if approve else None, reviewed_at=now if approve else None,
                facility=item.stats.facility if item.stats else None, facility_n=item.stats.n if item.stats else None)
            sess.add(version)
            sess.flush()
            if approve:  # issue 22: approved whole, translations included, by the named reviewer
                translations.record_import_reviews(sess, version, item.languages(), reviewer_id)
            _apply_version(sess, bank_item, version, item)
            report.ids.append(item.id)
        if progress:
            progress(n)
    # audit_entry.object_id holds 64 characters: a long list of files goes whole into `after` only.
    label = source if len(source) <= AUDIT_ID_CHARS else source[: AUDIT_ID_CHARS - 1] + "…"
    audit.record(sess, "bank.import", "bank", label or None, actor_id=actor_id,
                 after={"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                        "approved": approve, "reviewer": reviewer_id if approve else None, "source": source,
                        "items": report.ids[:200]})
    return report


@db.use_case
def save_edit(actor: User, expected_external_id: str | None, yaml_text: str) -> BankItemVersion:
    """Save the editor's YAML (one item) as a new draft version."""
    sess = db.session()
    known = existing_ids(sess)
    result = reader.read_bytes("editor.yaml", yaml_text.encode("utf-8"), known, fmt="yaml")
    if result.errors:
        raise BankEditError(result)
    if len(result.items) != 1:
        raise UserError(_("The editor holds exactly one item."))
    item = result.items[0]
    if expected_external_id is not None and item.id != expected_external_id:
        raise UserError(_("The item id cannot be changed while editing (it was %(id)s).", id=expected_external_id))
    if expected_external_id is None and item.id in known:
        raise UserError(_("An item with the id %(id)s already exists.", id=item.id))
    bank_item = sess.scalar(select(BankItem).where(BankItem.external_id == item.id))
    now = clock.now()
    digest = item_codec.content_hash(item)
    if bank_item is not None and digest == sess.scalar(
            select(BankItemVersion.content_hash).where(BankItemVersion.item_id == bank_item.id,
                                                       BankItemVersion.version_no == bank_item.latest_version_no)):
        # Saving unchanged text would add a duplicate version and send an approved item back to draft.
        raise UserError(_("Nothing changed since version %(n)d: no new version was saved.",
                          n=bank_item.latest_version_no))
    if bank_item is None:
        bank_item = BankItem(external_id=item.id, level=0, module=item.module, type=item.type,
                             status=VersionStatus.DRAFT, languages="", search_text="", latest_version_no=0,
                             created_at=now, updated_at=now)
        sess.add(bank_item)
        sess.flush()
    version = BankItemVersion(item_id=bank_item.id, version_no=bank_item.latest_version_no + 1,
                              content=item_codec.to_json(item), content_hash=digest,
                              status=VersionStatus.DRAFT, created_by_id=actor.id, created_at=now)
    sess.add(version)
    sess.flush()
    _apply_version(sess, bank_item, version, item)
    audit.record(sess, "bank.edit", "bank_item", item.id, actor_id=actor.id,
                 after={"version": version.version_no, "hash": digest})
    return version


class BankEditError(UserError):
    """The editor's text has parse or validation errors (with lines)."""

    def __init__(self, result: ParseResult) -> None:
        super().__init__(_("The item has %(n)d error(s).", n=len(result.errors)))
        self.result = result


WORKFLOW_MESSAGES = {  # lazy: marked for extraction, translated when shown
    "own_edit": _l("A reviewer cannot approve their own edit."),
    "not_latest": _l("Only the newest version of an item can move forward."),
    "not_allowed": _l("This action is not possible in the version's current status."),
}


# Who may take each step (issue 19.6); the four-eyes rule itself is domain/bank_workflow.py.
ACTION_ROLES: dict[Action, tuple[Role, ...]] = {
    Action.SUBMIT: (Role.ITEM_AUTHOR,),
    Action.APPROVE: (Role.ITEM_REVIEWER,),
    Action.RETURN: (Role.ITEM_REVIEWER,),
    Action.RETIRE: (Role.ITEM_REVIEWER,),
}


@db.use_case
def transition(actor: User, version_id: int, action: Action, note: str | None = None) -> BankItemVersion:
    """Move a version through the review workflow."""
    sess = db.session()
    version = sess.get(BankItemVersion, version_id)
    if version is None:
        raise NotFound(_("This item version does not exist."))
    if not actor.has_role(*ACTION_ROLES[action]):
        raise Forbidden(_("Your roles do not include this step."))
    bank_item = version.item
    before = version.status
    try:
        target = next_status(before, action, actor_id=actor.id, author_id=version.created_by_id,
                             is_latest=version.version_no == bank_item.latest_version_no)
    except WorkflowError as exc:
        raise UserError(str(WORKFLOW_MESSAGES[exc.code])) from exc
    now = clock.now()
    version.status = target
    if action == Action.SUBMIT:
        version.submitted_at = now
    elif action in (Action.APPROVE, Action.RETURN):
        version.reviewed_by_id, version.reviewed_at, version.note = actor.id, now, note or None
    elif action == Action.RETIRE:
        version.retired_by_id, version.retired_at = actor.id, now
        if bank_item.approved_version_id == version.id:
            bank_item.approved_version_id = None
    if action == Action.APPROVE:
        _supersede(sess, bank_item, version)
    if version.version_no == bank_item.latest_version_no:
        bank_item.status = target
    bank_item.updated_at = now
    audit.record(sess, f"bank.{action.value}", "bank_item", bank_item.external_id, actor_id=actor.id,
                 before={"version": version.version_no, "status": before.value},
                 after={"version": version.version_no, "status": target.value, "note": note or None})
    return version


def version_items(sess: Session, versions: Iterable[BankItemVersion]) -> list[Item]:
    return [item_codec.from_json(v.content) for v in versions]


def latest_versions(sess: Session, include_retired: bool = False) -> list[BankItemVersion]:
    stmt = (select(BankItemVersion).join(BankItem, BankItem.id == BankItemVersion.item_id)
            .where(BankItemVersion.version_no == BankItem.latest_version_no)
            .order_by(BankItem.module, BankItem.external_id))
    if not include_retired:
        stmt = stmt.where(BankItem.status != VersionStatus.RETIRED)
    return list(sess.scalars(stmt))


def export(fmt: str, include_retired: bool = False) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """Export every item's newest version as named files; also return what the format cannot carry.

    CSV and Moodle XML give one file; YAML gives one file per module, laid out
    as the shipped banks are (level1/L1-ETH.yaml, ...).
    """
    sess = db.session()
    items = version_items(sess, latest_versions(sess, include_retired))
    skipped = reader.unsupported(items, fmt)
    skipped_ids = {item_id for item_id, _ in skipped}
    kept = [i for i in items if i.id not in skipped_ids]
    if not kept:
        raise UserError(_("There are no items to export."))
    return reader.export_files(kept, fmt), skipped


def yaml_of(item: Item) -> str:
    return reader.export([item], "yaml").decode("utf-8")


def diff(old: BankItemVersion, new: BankItemVersion) -> list[str]:
    """A unified diff of two versions in the native YAML format."""
    a = yaml_of(item_codec.from_json(old.content)).splitlines()
    b = yaml_of(item_codec.from_json(new.content)).splitlines()
    return list(difflib.unified_diff(a, b, f"v{old.version_no}", f"v{new.version_no}", lineterm="", n=2))


@dataclass(frozen=True)
class ListFilters:
    level: int | None = None
    module: str | None = None
    type: str | None = None
    status: str | None = None
    has_lang: str | None = None
    missing_lang: str | None = None
    q: str | None = None


def list_items(f: ListFilters, page: int, page_size: int) -> tuple[list[BankItem], int]:
    """One page of items matching the filters, and the total count."""
    sess = db.session()
    stmt = select(BankItem)
    if f.level:
        stmt = stmt.where(BankItem.level == f.level)
    if f.module:
        stmt = stmt.where(BankItem.module == f.module)
    if f.type:
        stmt = stmt.where(BankItem.type == f.type)
    if f.status:
        stmt = stmt.where(BankItem.status == VersionStatus(f.status))
    if f.has_lang:
        stmt = stmt.where(BankItem.languages.contains(f",{f.has_lang},"))
    if f.missing_lang:
        stmt = stmt.where(~BankItem.languages.contains(f",{f.missing_lang},"))
    if f.q:
        stmt = stmt.where(BankItem.search_text.contains(f.q.lower(), autoescape=True))
    total = sess.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = sess.scalars(stmt.order_by(BankItem.external_id).limit(page_size).offset((page - 1) * page_size))
    return list(rows), total


def exposure(item_ids: Iterable[int]) -> dict[int, int]:
    """How many candidate forms (exams and mock papers) each item was drawn onto; absent means 0."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = db.session().execute(select(AttemptItem.bank_item_id, func.count()).where(AttemptItem.bank_item_id.in_(ids))
                                .group_by(AttemptItem.bank_item_id))
    return {item_id: n for item_id, n in rows}


def review_queue(actor: User) -> list[BankItemVersion]:
    """Versions waiting for review that `actor` did not write."""
    sess = db.session()
    return list(sess.scalars(
        select(BankItemVersion).where(BankItemVersion.status == VersionStatus.IN_REVIEW)
        .where((BankItemVersion.created_by_id.is_(None)) | (BankItemVersion.created_by_id != actor.id))
        .order_by(BankItemVersion.submitted_at)))

"""Typed SQLAlchemy models, one module per aggregate; no business rules here."""

from certexam.models.audit import AuditEntry, AuditHead
from certexam.models.user import IdDocumentType, Organisation, OrgCategory, Role, User

__all__ = ["AuditEntry", "AuditHead", "IdDocumentType", "OrgCategory", "Organisation", "Role", "User"]

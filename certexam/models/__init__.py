"""Typed SQLAlchemy models, one module per aggregate; no business rules here."""

from certexam.models.attempt import (
    ApiToken,
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptKind,
    AttemptStatus,
    Response,
    SubmitReason,
)
from certexam.models.audit import AuditEntry, AuditHead
from certexam.models.bank import BankItem, BankItemVersion, ItemTranslation
from certexam.models.bonus import (
    BonusApplication,
    BudgetYear,
    EmploymentRecord,
    EvidenceFile,
    FraudCase,
    Grant,
    Objection,
    Payout,
    PayoutBatch,
    SocialInsuranceMonth,
)
from certexam.models.certificate import Certificate
from certexam.models.employers import BulkVerification, BulkVerificationLine
from certexam.models.exam import (
    BlueprintRecord,
    ExamBan,
    LevelPass,
    Registration,
    Sitting,
    SittingForm,
    SittingPaper,
)
from certexam.models.objections import OnlineObjection
from certexam.models.result import (
    CorrectionAction,
    KeyCorrection,
    Mark,
    MarkingAssignment,
    MisconductRuling,
    Recheck,
    RecheckStatus,
    Result,
)
from certexam.models.subsidies import SubsidyApplication, SubsidyBudgetYear, SubsidyGrant, SubsidyProject
from certexam.models.tlog import TlogCheckpoint, TlogHead, TlogLeaf, TlogNode
from certexam.models.user import (
    STAFF_ROLES,
    AccountKind,
    FourEyesRequest,
    IdDocumentType,
    Organisation,
    OrgCategory,
    Role,
    User,
    UserRole,
)
from certexam.models.watch import (
    DeliveryState,
    OrgApiKey,
    WatchedCertificate,
    WatchEvent,
    WebhookAttempt,
    WebhookEndpoint,
)

__all__ = [
    "ApiToken", "Attempt", "AttemptEvent", "AttemptItem", "AttemptKind", "AttemptStatus", "SubmitReason", "BlueprintRecord", "Certificate", "ExamBan", "LevelPass", "Registration", "Response",
    "Sitting", "SittingForm", "SittingPaper", "BulkVerification", "BulkVerificationLine",
    "AuditEntry", "AuditHead", "BankItem", "BankItemVersion",
    "ItemTranslation", "IdDocumentType", "OrgCategory", "Organisation", "Role", "User",
    "AccountKind", "FourEyesRequest", "STAFF_ROLES", "UserRole",
    "BonusApplication", "BudgetYear", "EmploymentRecord", "EvidenceFile", "FraudCase", "Grant", "Objection", "OnlineObjection", "Payout", "PayoutBatch", "SocialInsuranceMonth",
    "TlogCheckpoint", "TlogHead", "TlogLeaf", "TlogNode",
    "CorrectionAction", "KeyCorrection", "Mark", "MarkingAssignment", "MisconductRuling", "Recheck", "RecheckStatus", "Result",
    "SubsidyApplication", "SubsidyBudgetYear", "SubsidyGrant", "SubsidyProject",
    "DeliveryState", "OrgApiKey", "WatchedCertificate", "WatchEvent", "WebhookAttempt", "WebhookEndpoint"]

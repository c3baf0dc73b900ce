"""Database models. Import them from here."""
from .audit import AuditEntry
from .api import ApiKey, ApiToken, IdempotencyKey, RateLimitCounter
from .base import Base, UTCDateTime, utcnow
from .calendar import Closure
from .complaints import STATUS_LABELS, Attachment, Complaint, ComplaintEvent, ComplaintStatus, EventImmutable
from .notifications import Channel, DeliveryStatus, Notification
from .operations import WorkerHeartbeat
from .organisation import Category, Department, District, Division, Office
from .incidents import Incident, IncidentSource, IncidentStatus
from .credentials import RecoveryCode, SecondFactor, UserSession, VerificationCode
from .supporters import ComplaintSupporter
from .statistics import AGGREGATES, StatCell, StatCitizens, StatDay, StatOfficer, StatOpenDay, StatResolutionHours
from . import statistics_upkeep  # noqa: F401  (registers the hook that keeps the aggregates in step)
from . import direct_writes  # noqa: F401
from .processes import DecisionFileRow, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance
from .users import LANE_ROLES, LANGUAGES, ROLE_LABELS, STAFF_TIERS, Role, User

__all__ = [
    "AuditEntry",
    "ApiKey",
    "ApiToken",
    "Channel",
    "DeliveryStatus",
    "IdempotencyKey",
    "Notification",
    "RateLimitCounter",
    "Attachment",
    "Base",
    "Category",
    "Closure",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "ComplaintSupporter",
    "Department",
    "District",
    "Division",
    "EventImmutable",
    "HumanTask",
    "Incident",
    "IncidentSource",
    "IncidentStatus",
    "InstanceStatus",
    "LANE_ROLES",
    "LANGUAGES",
    "Office",
    "WorkerHeartbeat",
    "DecisionFileRow",
    "ProcessDefinition",
    "ProcessInstance",
    "ROLE_LABELS",
    "Role",
    "STATUS_LABELS",
    "STAFF_TIERS",
    "User",
    "UserSession",
    "SecondFactor",
    "RecoveryCode",
    "VerificationCode",
    "AGGREGATES",
    "StatCell",
    "StatCitizens",
    "StatDay",
    "StatOfficer",
    "StatOpenDay",
    "StatResolutionHours",
    "UTCDateTime",
    "utcnow",
]

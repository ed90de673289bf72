"""Every model, imported here so Alembic sees every table."""

from .audit import AuditEvent
from .child import CONTEXT_FLAGS, Child
from .child_details import AttendancePeriod, ChildDetails, WithheldFromFamily
from .draft import SavedDraft
from .family import FamilyMember, Professional
from .observation import Observation, ObservationVersion, RecordIsImmutable
from .prompt import Prompt, PromptSetting
from .referral import LifeEvent, Referral
from .review import Review
from .school import Organisation, School
from .session import UserSession
from .sharing import InformationShared
from .submission import SubmissionKey
from .user import Membership, RecoveryCode, User

__all__ = [
    "AttendancePeriod", "ChildDetails", "FamilyMember", "Professional", "WithheldFromFamily",
    "AuditEvent", "CONTEXT_FLAGS", "Child", "InformationShared", "LifeEvent", "Membership", "Observation",
    "ObservationVersion", "Organisation", "Prompt", "PromptSetting", "RecordIsImmutable", "Referral",
    "RecoveryCode", "Review", "SavedDraft", "School", "SubmissionKey", "User", "UserSession",
]

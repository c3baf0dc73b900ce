"""People who use the portal: citizens and staff, each with a role and a scope."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .organisation import Department, District, Division


# The languages the portal speaks (app/i18n.py): English, Urdu, Pashto.
LANGUAGES = ("en", "ur", "ps")


class Role(enum.Enum):
    CITIZEN = "citizen"
    DISTRICT_OFFICER = "district_officer"
    DEPUTY_COMMISSIONER = "deputy_commissioner"
    COMMISSIONER = "commissioner"
    CHIEF_SECRETARY = "chief_secretary"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name in the language of this moment (a request's, or a message's under force_locale)."""
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.DISTRICT_OFFICER: _l("District Officer"),
    Role.DEPUTY_COMMISSIONER: _l("Deputy Commissioner"),
    Role.COMMISSIONER: _l("Commissioner"),
    Role.CHIEF_SECRETARY: _l("Chief Secretary"),
    Role.ANALYST: _l("Process analyst"),
    Role.ADMIN: _l("Administrator"),
}

# Roles that may appear as lanes of a diagram (people who work complaint tasks).
LANE_ROLES = {
    Role.CITIZEN,
    Role.DISTRICT_OFFICER,
    Role.DEPUTY_COMMISSIONER,
    Role.COMMISSIONER,
    Role.CHIEF_SECRETARY,
}
STAFF_TIERS = {Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_district_role", "district_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # role and district_id keep active history: the citizens-per-district count (statistics_upkeep) needs their old values.
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]), active_history=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    # Staff sign in with a username; citizens with their CNIC or mobile number.
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    cnic: Mapped[str | None] = mapped_column(String(13), unique=True)
    # A citizen's number is theirs once they proved it with a code (mobile_confirmed_at); a number
    # still waiting for its code lives in its verification code row, not here (people/mobile_numbers.py).
    mobile: Mapped[str | None] = mapped_column(String(12), unique=True)
    mobile_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Set when the password must be replaced at the next sign-in (too weak by today's rules, or an
    # administrator asked for it); cleared when the person chooses a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    language: Mapped[str] = mapped_column(String(2), default="en")  # one of LANGUAGES
    # The notices (message templates) a citizen chose not to get by SMS; in-app they always come.
    sms_muted: Mapped[list | None] = mapped_column(JSON, default=list)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), active_history=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[District | None] = relationship(foreign_keys=[district_id])
    division: Mapped[Division | None] = relationship(foreign_keys=[division_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])

    # Flask-Login reads these four; they need no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active and self.blocked_at is None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session cookie holds: the id and a fingerprint of the password hash and the role.

        A new password (a reset, say) or another role changes the fingerprint, so every
        browser still signed in with the old one is signed out on its next request.
        """
        return f"{self.id}.{self.sign_in_fingerprint}"

    @property
    def sign_in_fingerprint(self) -> str:
        role = self.role.value if self.role else ""
        return hashlib.sha256(f"{self.password_hash or ''}\n{role}".encode()).hexdigest()[:16]

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.CITIZEN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"

"""Deployed diagrams, running process instances and the inbox projection."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .users import Role


class ProcessDefinition(Base):
    """One deployed version of a diagram. New complaints start on the default one."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    # Of the stored XML; the same content is never deployed twice as one process.
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = deferred(mapped_column(Text))
    # Why this version was deployed (required since migration 0030; older rows have none).
    note: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Forms defined as data, deployed with this version: {form key: document} (workflows/forms.py);
    # None when the version has none. Read only when one of its tasks is shown or completed.
    forms: Mapped[dict | None] = deferred(mapped_column(JSON))
    # The decision tables (DMN) deployed with the diagram: part of the version, covered by its sha256.
    decision_files: Mapped[list[DecisionFileRow]] = relationship(
        order_by="DecisionFileRow.filename", cascade="all, delete-orphan"
    )
    deployed_by = relationship("User")


class DecisionFileRow(Base):
    """One DMN file of a deployed version (the business rule tasks of its diagram call its decision)."""

    __tablename__ = "process_decision_files"
    __table_args__ = (UniqueConstraint("definition_id", "filename"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    decision_id: Mapped[str] = mapped_column(String(120))
    xml: Mapped[str] = mapped_column(Text)


class InstanceStatus(enum.Enum):
    RUNNING = "running"
    FINISHED = "finished"


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    # The timer sweep reads "running instances due now": only due rows are touched.
    __table_args__ = (
        Index("ix_process_instances_due", "next_timer_due_at"),
        Index("ix_process_instances_notice_due", "next_notice_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    state: Mapped[dict] = deferred(mapped_column(JSON))
    status: Mapped[InstanceStatus] = mapped_column(
        Enum(InstanceStatus, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=InstanceStatus.RUNNING,
    )
    next_timer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a reminder timer of the diagram fires (not a deadline; see workflows.next_notice_due).
    next_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by the timer sweep when firing fails; it then retries with a growing delay.
    timer_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    timer_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    definition: Mapped[ProcessDefinition] = relationship()
    complaint = relationship("Complaint")

    # Optimistic locking: two writers that loaded the same version cannot both save.
    __mapper_args__ = {"version_id_col": lock_version}


POOL = "completed_at IS NULL AND assignee_id IS NULL"  # open and not assigned to anyone: a role's pool


class HumanTask(Base):
    """The inbox projection of one open (or once open) user task.

    Rewritten in the same transaction each time its process moves; inboxes and
    dashboards read this table, never the process state.
    """

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_open_role", "completed_at", "role", "district_id"),
        Index("ix_human_tasks_open_assignee", "assignee_id", "completed_at"),
        Index("ix_human_tasks_complaint", "complaint_id", "completed_at"),
        # Every move of a process reads its instance's open tasks (projection.sync_instance).
        Index("ix_human_tasks_instance_open", "instance_id", "completed_at"),
        # Inboxes: a role's unassigned open tasks in a district, a division or the province,
        # oldest first (services/tasks.inbox_for), read along the index up to the page's limit.
        *(Index(f"ix_human_tasks_pool_{name}", "role", *columns, "created_at", "id",
                postgresql_where=text(POOL), sqlite_where=text(POOL))
          for name, columns in (("district", ("district_id",)), ("division", ("division_id",)), ("province", ()))),
        # The daily digest reads the escalations of one day (a few rows of millions).
        Index("ix_human_tasks_escalated", "created_at", postgresql_where=text("escalation_level IS NOT NULL"),
              sqlite_where=text("escalation_level IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    element_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])
    )
    # Who may work it: the assignee when set, otherwise everyone of `role`
    # whose own scope matches `scope` (district / division / province / citizen).
    scope: Mapped[str] = mapped_column(String(12))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    complaint = relationship("Complaint")
    # Set on a new row with its instance not yet inserted: one flush writes both, the instance first.
    instance = relationship("ProcessInstance")
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    assignee = relationship("User", foreign_keys=[assignee_id])

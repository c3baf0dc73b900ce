"""The province's structure: divisions, districts, departments, categories, offices."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

LOCAL_NAME_LENGTH = 200  # room for an administrator's longer wording than the English name


class LocalNames:
    """The Urdu and Pashto names shown beside the English `name`; empty shows the English one."""

    name_ur: Mapped[str | None] = mapped_column(String(LOCAL_NAME_LENGTH))
    name_ps: Mapped[str | None] = mapped_column(String(LOCAL_NAME_LENGTH))


class Division(LocalNames, Base):
    __tablename__ = "divisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    districts: Mapped[list[District]] = relationship(back_populates="division", order_by="District.name")


class District(LocalNames, Base):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    division: Mapped[Division] = relationship(back_populates="districts")


class Department(LocalNames, Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Deactivated rather than deleted (docs/operations.md): no longer offered, still named where it was used.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    categories: Mapped[list[Category]] = relationship(back_populates="department", order_by="Category.name")


class Category(LocalNames, Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    department: Mapped[Department] = relationship(back_populates="categories")

    @property
    def offered(self) -> bool:
        """Whether a new complaint may be lodged under it: it and its department are active."""
        return self.active and self.department.active


class Office(Base):
    """The office of one department in one district (the 900+ offices of the real system)."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("district_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))

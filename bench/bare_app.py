"""The floor the portal is measured against: a Flask app that does one ORM insert and one commit per request.

Same Flask, SQLAlchemy and psycopg as the portal, the same engine settings (app/db.py), the same PostgreSQL
server, run under the same gunicorn settings by bench/http.py. Anything the portal does beyond this is the
cost of being the portal.

    python -c "from bench.bare_app import create_table; create_table('postgresql+psycopg://...')"
    BARE_DATABASE_URL=postgresql+psycopg://... gunicorn 'bench.bare_app:create_app()'
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from app.db import make_engine


class Base(DeclarativeBase):
    pass


class Insert(Base):
    __tablename__ = "bench_inserts"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


def create_table(url: str) -> None:
    """Made once before the servers start: gunicorn's workers making it at once would race on the catalogue."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    sessions = sessionmaker(engine, expire_on_commit=False)
    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        data = request.get_json(force=True)
        with sessions() as session:
            row = Insert(subject=str(data.get("subject", ""))[:150], description=str(data.get("description", "")),
                         created_at=datetime.now(timezone.utc))
            session.add(row)
            session.commit()
            return jsonify(id=row.id), 201

    return app

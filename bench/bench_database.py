"""What every benchmark starts with: its own PostgreSQL database, migrated and seeded.

Creates the database named in the URL if missing (nothing else on the server
is touched), migrates it with the app's `db upgrade`, seeds the organisation
and the diagram (no demo people), and returns the app and its session factory.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url, text

from app import create_app
from app.db import make_engine
from app.services.demo import seed

ROOT = Path(__file__).resolve().parent.parent


def prepared_app(url: str, **settings):
    _create_database(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, **settings})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    sessions = app.extensions["db_sessions"]
    with sessions() as session:
        seed.seed(session, ROOT / "bpmn", with_demo=False)
        session.commit()
    return app, sessions


def _create_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()

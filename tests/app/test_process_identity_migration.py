"""Migration 0030: versions get a note; stray processes no complaint runs on are removed."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from app import create_app

DEFINITION = ("INSERT INTO process_definitions (id, process_id, version, sha256, xml, is_default, deployed_at) "
              "VALUES (:id, :process_id, :version, :sha, '<x/>', :is_default, '2026-01-01 00:00:00')")


def test_stray_processes_go_unless_a_complaint_runs_on_them_and_versions_get_a_note(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    runner = create_app({"TESTING": True, "DATABASE_URL": url}).test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0029"]).exit_code == 0
    engine = create_engine(url)
    with engine.begin() as conn:  # the shipped process, and two files from bpmn.io deployed as processes of their own
        for row in [(1, "complaint", 1, True), (2, "Process_1abc", 1, True), (3, "Process_0xyz", 1, True)]:
            conn.execute(text(DEFINITION), dict(zip(("id", "process_id", "version", "is_default"), row), sha=str(row[0])))
        conn.execute(text("INSERT INTO process_instances (id, complaint_id, definition_id, state, status, lock_version, "
                          "timer_failures, updated_at) VALUES (1, 1, 3, '{}', 'running', 1, 0, '2026-01-01 00:00:00')"))

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, process_id, note FROM process_definitions ORDER BY id")).all()
    # One complaint runs on Process_0xyz, so it stays (it can be migrated from the workbench).
    assert rows == [(1, "complaint", None), (3, "Process_0xyz", None)]
    assert "note" in {c["name"] for c in inspect(engine).get_columns("process_definitions")}
    engine.dispose()

"""JSON columns (app/db.py): written compact by orjson and read back as the standard library would."""
from sqlalchemy import JSON, Column, Integer, MetaData, Table, select

from app.db import compact_json, make_engine


def test_values_round_trip_with_urdu_text_and_keys_that_are_not_strings(db_url, tmp_path):
    engine = make_engine(db_url)
    table = Table("json_probe", MetaData(), Column("id", Integer, primary_key=True), Column("value", JSON))
    value = {"subject": "پانی کی فراہمی بند ہے", 7: [1, 2.5, None, True], "nested": {"deep": {"list": []}}}
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), {"id": 1, "value": value})
            stored = conn.scalar(select(table.c.value).where(table.c.id == 1))
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()
    # An int key becomes a string, as json.dumps makes it; everything else comes back as it went in.
    assert stored == {"subject": "پانی کی فراہمی بند ہے", "7": [1, 2.5, None, True], "nested": {"deep": {"list": []}}}


def test_compact_json_has_no_spaces_and_keeps_text_readable():
    assert compact_json({"a": [1, 2], "b": "ژ"}) == '{"a":[1,2],"b":"ژ"}'

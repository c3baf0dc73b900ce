"""Pashto: شکایت (complaint) is masculine (plural شکایتونه), and what agrees with it says so.

The first catalogue treated it as feminine in about half its sentences ("شکایت ثبت شوه",
"پرانیستې شکایتونه"); docs/i18n.md keeps the rule for the next translator. These checks find the
feminine forms next to the word in the catalogue and in the message templates.
"""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PASHTO = ROOT / "app" / "translations" / "ps" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "app" / "templates" / "notifications"
END = r"(?![\u0600-\u06FF])"
# Feminine participles and verbs of being done, which a masculine noun never takes.
FEMININE = r"(?:شوه|شوې|ده|وه)"
WRONG = [
    # "the complaint ... was lodged/resolved/closed" with a feminine verb in the same clause
    re.compile(rf"شکایت{END}(?:(?![.،؛:!?]).){{0,40}}?\s(?:ثبت|حل|تړل|وتړل|ولېږل|ولېږدول|وسپارل|ترلاسه|پرانیستل|ساتل|"
               rf"انتقال|واړول)\s(?:نه\s)?{FEMININE}{END}"),
    # a feminine adjective or participle before the noun: "پرانیستې شکایتونه", "ثبت شوې شکایت"
    re.compile(r"(?:پرانیستې|شوې|خپله|نوې|یوه)\s+شکایت"),
    # "دا ... شکایت ... ده" (a feminine "is") in a short sentence about one complaint
    re.compile(rf"شکایت{END}\s+(?:تړل شوې|خپله)"),
]


def _pashto_texts():
    with PASHTO.open("rb") as file:
        for message in read_po(file):
            if message.id:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in strings:
                    yield str(message.id), text
    for path in sorted(TEMPLATES.glob("*.ps.txt")):
        yield path.name, path.read_text(encoding="utf-8")


def feminine_complaints(texts) -> list[str]:
    return [f"{where}: {text}" for where, text in texts if any(rule.search(text) for rule in WRONG)]


def test_complaint_is_masculine_everywhere_in_pashto():
    assert feminine_complaints(_pashto_texts()) == []


def test_the_check_finds_what_the_first_catalogue_said():
    found = feminine_complaints([
        ("a", "ستاسو شکایت ثبت شوه. د تعقیب شمېره: 1"),
        ("b", "پرانیستې شکایتونه"),
        ("c", "دا ستاسو خپله شکایت ده"),
        ("d", "ستاسو شکایت ثبت شو. د تعقیب شمېره: 1"),  # right
        ("e", "پرانیستي شکایتونه"),  # right
        ("f", "هره پرانیستې دنده"),  # دنده is feminine: right
    ])
    assert [line.split(":")[0] for line in found] == ["a", "b", "c"]

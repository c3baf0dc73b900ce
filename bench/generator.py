"""Benchmark (not a test): the data generator's complaints per second on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_generator \\
        python -m bench.generator --complaints 20000 --baseline 1000

Creates the database if missing (nothing else on the server is touched),
migrates it with the app's `db upgrade`, seeds the organisation and the
diagram, then in one run times the generator as it is (routes run on the
engine once, then copied) and the baseline, the engine run for every
complaint (what the generator did before), each with one transaction per
batch. Prints complaints/s for both and their ratio. Each run adds its
complaints to the database.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.demo import generator
from bench.bench_database import prepared_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_generator"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=20_000, help="complaints generated as the generator does")
    parser.add_argument("--baseline", type=int, default=1_000, help="complaints generated running the engine for each")
    parser.add_argument("--batch", type=int, default=1000, help="complaints per transaction")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    app, sessions = prepared_app(url)
    with sessions() as session:
        before = generator.complaint_count(session)
        version = session.scalar(text("SHOW server_version"))

    shared = _rate(sessions, args.complaints, args.batch, share_routes=True)
    alone = _rate(sessions, args.baseline, args.batch, share_routes=False)
    with sessions() as session:
        after = generator.complaint_count(session)
    assert after == before + args.complaints + args.baseline, (before, after)

    print(f"\nPostgreSQL {version}; {os.cpu_count()} CPUs; {after} complaints in the database now")
    print(f"generator (routes run once, then copied): {shared:7.0f} complaints/s  ({args.complaints} complaints)")
    print(f"baseline (the engine run per complaint):  {alone:7.0f} complaints/s  ({args.baseline} complaints)")
    print(f"ratio: {shared / alone:.1f}x")


def _rate(sessions, count: int, batch: int, *, share_routes: bool) -> float:
    label = "shared routes" if share_routes else "engine per complaint"
    print(f"generating {count} complaints ({label}) ...", flush=True)
    started = time.perf_counter()
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % (batch * 10) == 0 or done[0] == count:
            elapsed = time.perf_counter() - started
            print(f"  {done[0]} in {elapsed:.1f} s ({done[0] / elapsed:.0f}/s)", flush=True)

    generator.generate(sessions, count, batch_size=batch, progress=progress, share_routes=share_routes)
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    main()

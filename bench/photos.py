"""Benchmark (not a test): what the portal keeps of a phone's 12-megapixel photo, and how long it takes.

    python -m bench.photos --runs 5

Builds a 4000×3000 JPEG of noisy gradients (about as hard to compress as a
street scene) with a phone's EXIF (orientation 6, GPS), then times the whole
preparation (`app.services.files.prepare_photo`: full decode, turned upright,
colour to sRGB, scaled to 2048 px, re-encoded without metadata, thumbnail), and,
as a baseline, a bare decode of the same file. Prints the sizes of the original,
the stored photo and its thumbnail, and the median and worst time over --runs.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.files import prepare_photo  # noqa: E402
from tests.app.media import noisy_photo  # noqa: E402


def timed(work, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()

    original = noisy_photo((args.width, args.height))
    photo = prepare_photo(original)

    def decode():
        with Image.open(io.BytesIO(original)) as image:
            image.load()

    baseline = timed(decode, args.runs)
    prepare = timed(lambda: prepare_photo(original), args.runs)
    kb = 1024
    print(f"original   {args.width}×{args.height} JPEG, {len(original) / kb:,.0f} KB")
    print(f"stored     {photo.width}×{photo.height} JPEG, {len(photo.data) / kb:,.0f} KB")
    with Image.open(io.BytesIO(photo.thumbnail)) as thumbnail:
        print(f"thumbnail  {thumbnail.width}×{thumbnail.height} JPEG, {len(photo.thumbnail) / kb:,.1f} KB")
    print(f"decode only (baseline)  median {statistics.median(baseline) * 1000:,.0f} ms, worst {max(baseline) * 1000:,.0f} ms")
    print(f"prepare_photo           median {statistics.median(prepare) * 1000:,.0f} ms, worst {max(prepare) * 1000:,.0f} ms"
          f"  ({statistics.median(prepare) / statistics.median(baseline):.1f}× the decode)")


if __name__ == "__main__":
    main()

"""The background worker from a checkout: `python worker.py [--burst] [--simple]`, the same as `portal worker`.

What it runs, how it stops and how it scales is said in app/worker.py, where the worker lives (so that an
installed portal has it too).
"""
import sys

from app.worker import main

if __name__ == "__main__":
    sys.exit(main())

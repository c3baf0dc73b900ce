"""`python -m app ...`: the `portal` command (app/command.py)."""
from .command import main

main()

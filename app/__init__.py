"""The Citizen's Portal Flask application.

`create_app` only loads and checks settings, sets up extensions and registers
blueprints. It migrates nothing and starts no thread or network connection:
the CLI (`flask --app app ...`) and `worker.py` do those things explicitly.
"""
from .factory import create_app

__all__ = ["create_app"]

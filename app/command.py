"""The `portal` command (also `python -m app`): the operator commands, from any folder.

`pip install` puts `portal` on the PATH; it runs the same commands as
`flask --app app ...` in a checkout (`portal db upgrade`, `portal seed`,
`portal serve`, `portal timers fire`, ... — `portal --help` lists them) plus
`portal worker`, the background worker that `python worker.py` runs from a
checkout. The app is made by `create_app()`, so no FLASK_APP and no current
folder are needed; settings come from the environment (app/settings.py).
"""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, load_dotenv=False, set_debug_flag=False)
def cli():
    """Citizen's Portal: database, demo data, processes, timers, notifications, the server and the worker."""


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Work the queued jobs, then exit; no timer sweep schedule.")
@click.option("--simple", is_flag=True, help="Run jobs in the worker process (rq SimpleWorker), no fork.")
def worker_command(burst, simple):
    """The background worker: an RQ worker on the `portal` queue plus the periodic schedule (needs REDIS_URL)."""
    from . import worker

    sys.exit(worker.main([*(["--burst"] if burst else []), *(["--simple"] if simple else [])]))


def main() -> None:
    cli.main(prog_name="portal")

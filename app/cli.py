"""Operator commands: `flask --app app db upgrade | seed | process deploy | timers fire | notifications | statistics |
attachments scrub | users | serve`."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.serving import run_simple

from sqlalchemy import select

from . import background
from .models import User
from .services.analyst.access import require_analyst
from .services.casework import deployments
from .services.errors import Conflict, Invalid, NotAllowed
from .services.casework.timers import sweep
from .services.demo import seed as demo_data
from .services.notifications import digests, reminders
from .services.people import second_factor
from .web import db, session_factory

MIGRATIONS = Path(__file__).parent / "migrations"

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
process_cli = AppGroup("process", help="Deploy BPMN diagrams.")
timers_cli = AppGroup("timers", help="BPMN timers (escalations, reminders).")


def alembic_config():
    from alembic.config import Config

    config = Config(stdout=sys.stdout)  # the stream of this moment (Alembic's default is the one at its import)
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Migrate the database schema to REVISION (default: the newest)."""
    from alembic import command

    database_url = current_app.config["DATABASE_URL"]
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_cli.command("current")
def db_current():
    """Show the revision the database is at and whether it is the newest (exit 1 when it is not)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if _no_sqlite_file_yet():
        at = None
    else:
        with current_app.extensions["db_engine"].connect() as connection:
            at = MigrationContext.configure(connection).get_current_revision()
    if at is None:
        click.echo(f"database has no schema yet; the newest migration is {newest}: run `db upgrade`")
        raise SystemExit(1)
    if at != newest:
        click.echo(f"database at {at}; the newest migration is {newest}: run `db upgrade`")
        raise SystemExit(1)
    click.echo(f"database at {at} (the newest)")


@db_cli.command("history")
@click.option("--verbose", "-v", is_flag=True, help="Each revision's file, parent and full message.")
def db_history(verbose):
    """List the migrations, newest first; the database's own revision is marked (current)."""
    from alembic import command

    command.history(alembic_config(), verbose=verbose, indicate_current=not _no_sqlite_file_yet())


def _no_sqlite_file_yet() -> bool:
    """The embedded default before its first `db upgrade`: reading it would fail, not say "no schema"."""
    database_url = current_app.config["DATABASE_URL"]
    return database_url.startswith("sqlite:///") and not Path(database_url.removeprefix("sqlite:///")).is_file()


@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})  # "-1" is a revision
@click.argument("revision")
def db_downgrade(revision):
    """Migrate the database schema back to REVISION (a revision id such as 0020, or -1 for one step).

    A downgrade drops what the later migrations added, data included: back the database up first.
    """
    from alembic import command

    command.downgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


def _demo_second_factor_box():
    """Development only: the demo staff get the known demo TOTP secret (DEMO_SECOND_FACTOR)."""
    return second_factor.SecretBox.from_settings(current_app.config) if current_app.config["DEMO_SECOND_FACTOR"] else None


@click.command("seed")
@with_appcontext
@click.option("--no-demo", is_flag=True, help="Only the organisation and the process, no demo accounts.")
def seed(no_demo):
    """Seed the province's organisation, deploy bpmn/complaint.bpmn if needed, add demo data."""
    session = db()
    try:
        summary = demo_data.seed(session, Path(current_app.config["BPMN_DIR"]), with_demo=not no_demo,
                                 second_factor_box=_demo_second_factor_box())
    except demo_data.DemoExtraMissing as missing:
        raise click.ClickException(str(missing)) from None
    session.commit()
    for line in summary:
        click.echo(line)


demo_cli = AppGroup("demo", help="Demo and load-test data.")


@demo_cli.command("totp-code")
@with_appcontext
def demo_totp_code():
    """Print the code the demo staff's authenticator app shows now (development only)."""
    if not current_app.config["DEMO_SECOND_FACTOR"]:
        raise click.ClickException("the demo second factor exists only in development (DEMO_SECOND_FACTOR)")
    click.echo(second_factor.current_code(demo_data.DEMO_TOTP_SECRET))


@demo_cli.command("generate")
@click.option("--complaints", "count", type=click.IntRange(min=1), required=True, help="How many complaints to add.")
@click.option("--batch", type=click.IntRange(min=1), default=1000, show_default=True, help="Complaints per transaction.")
@click.option("--seed", type=int, default=None, help="Random seed, for a repeatable data set.")
def demo_generate(count, batch, seed):
    """Add COUNT complaints in realistic states (and their citizens), run through the process engine."""
    from .services.demo import generator

    started = time.perf_counter()
    with click.progressbar(length=count, label="Generating complaints") as bar:
        generator.generate(session_factory(), count, batch_size=batch, seed=seed, progress=bar.update)
    elapsed = time.perf_counter() - started
    click.echo(f"added {count} complaints in {elapsed:.1f} s ({count / elapsed:.0f} complaints/s)")


@process_cli.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--note", required=True, help="Why this version is deployed (shown with the version).")
@click.option("--by", "username", required=True, help="USERNAME of the analyst or administrator who deploys it.")
@click.option("--as", "as_process", type=click.Choice(deployments.KNOWN_PROCESSES),
              help="Deploy it as a version of this process, whatever process id the file has (rewritten in the XML).")
@click.option("--decisions", "decision_paths", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A DMN decision table deployed with the diagram (repeat for several). "
                   "Default: every *.dmn file beside the diagram; when there is none, the current version's tables stay.")
@click.option("--not-default", is_flag=True, help="Deploy without making it the version new complaints start on.")
@click.option("--forms", "forms_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON file of forms defined as data ({form key: document}; docs/analysts.md) to deploy with it.")
def process_deploy(path, note, username, as_process, decision_paths, not_default, forms_path):
    """Validate the diagram at PATH (a .bpmn file, or a folder holding one) with its decision tables and
    its forms defined as data, and deploy them as one new version."""
    if path.is_dir():
        diagrams = sorted(path.glob("*.bpmn"))
        if len(diagrams) != 1:
            raise click.BadParameter(f"the folder must hold one .bpmn file; it holds {len(diagrams)}", param_hint="PATH")
        path = diagrams[0]
    session = db()
    try:
        forms = json.loads(forms_path.read_text(encoding="utf-8")) if forms_path else None
    except ValueError as error:
        click.echo(f"error: {forms_path.name} is not valid JSON: {error}", err=True)
        raise SystemExit(1) from None
    try:
        definition = deployments.deploy_file(
            session, path, deployed_by=_deployer(session, username), note=note, as_process=as_process,
            make_default=not not_default, decisions=list(decision_paths) or None, forms=forms
        )
    except deployments.DiagramRejected as rejected:
        for error in rejected.errors:
            click.echo(f"error: {error}", err=True)
            if getattr(error.message, "code", None) == "process_unknown":
                click.echo(f"hint: deploy it again with --as {deployments.COMPLAINT_PROCESS}", err=True)
        raise SystemExit(1) from None
    except Invalid as invalid:
        for message in invalid.messages():
            click.echo(f"error: {message}", err=True)
        raise SystemExit(1) from None
    except (Conflict, NotAllowed) as refused:
        click.echo(f"error: {refused}", err=True)
        raise SystemExit(1) from None
    session.commit()
    for warning in deployments.timer_warnings(definition.xml.encode("utf-8"), deployments.decision_files(session, definition)):
        click.echo(f"warning: {warning}", err=True)
    default = " (default for new complaints)" if definition.is_default else ""
    tables = "".join(f" + {row.filename}" for row in definition.decision_files)
    click.echo(f"deployed {definition.process_id} version {definition.version}{default} sha256 {definition.sha256}"
               f" ({path.name}{tables})")


def _deployer(session, username: str) -> User:
    """The analyst or administrator named by --by: a deploy from the command line says who made it."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise click.BadParameter(f"no active staff account {username!r}", param_hint="--by")
    try:
        require_analyst(user)
    except NotAllowed:
        raise click.BadParameter(f"{username!r} is not a process analyst or administrator", param_hint="--by") from None
    return user


@timers_cli.command("fire")
@click.option("--batch", type=int, default=None, help="Instances read per batch (default TIMER_SWEEP_BATCH).")
def timers_fire(batch):
    """Fire every BPMN timer that is due now, once."""
    result = sweep(session_factory(), batch=batch or current_app.config["TIMER_SWEEP_BATCH"])
    click.echo(f"fired timers of {len(result.fired)} process instance(s); {len(result.failed)} failed")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", envvar="HOST")
@click.option("--port", default=5000, type=int, envvar="PORT")
def serve(host, port):
    """Run the portal with its background schedule in-process (the embedded default: no Redis)."""
    from .logs import configure_logging

    configure_logging()  # JSON lines on stderr, a request id in each (docs/operations.md, Logs)
    app: Flask = current_app._get_current_object()
    background.run_embedded(app)
    click.echo(f"Citizen's Portal on http://{host}:{port}/ (timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s, in-process)")
    # Werkzeug's threaded server is enough for the embedded default; production
    # runs the app under gunicorn and the schedule in worker.py instead.
    run_simple(host, port, app, threaded=True)


notifications_cli = AppGroup("notifications", help="Reminders, the daily digest and the outbox, run once.")


@notifications_cli.command("digest")
def digest_command():
    """Queue today's digest of new escalations for Commissioners and the Chief Secretary."""
    queued = digests.send_escalation_digests(session_factory())
    click.echo(f"queued the escalation digest for {queued} person(s)")


@notifications_cli.command("deliver")
def deliver_command():
    """Send the SMS and email notifications that are due now, once."""
    result = background.deliver_outbox(current_app._get_current_object())
    click.echo(f"sent {len(result.sent)}, failed {len(result.failed)} (will retry), parked {len(result.parked)}, "
               f"undeliverable {len(result.undeliverable)}")


@notifications_cli.command("reminders")
def reminders_command():
    """Fire the reminder timers of the diagram that are due now, once."""
    fired = reminders.fire_due_reminders(session_factory(), batch=current_app.config["TIMER_SWEEP_BATCH"])
    click.echo(f"fired reminder timers of {len(fired)} process instance(s)")


attachments_cli = AppGroup("attachments", help="Stored photos and documents.")


@attachments_cli.command("scrub")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True, help="Photos per transaction.")
def attachments_scrub(batch):
    """Make the photos stored before migration 0018 as new ones are: upright, at most 2048 px,
    without EXIF/GPS, with a thumbnail; then delete the originals no attachment names any more."""
    from .services.casework import attachments
    from .web import file_store

    store, after_id, scrubbed, refused, deleted = file_store(), 0, 0, [], 0
    with session_factory()() as session:
        while True:
            done = attachments.scrub_old_photos(session, store, after_id=after_id, limit=batch)
            session.commit()
            if done.last_id is None:
                break
            deleted += attachments.delete_unused(session, store, done.replaced)
            after_id, scrubbed, refused = done.last_id, scrubbed + done.scrubbed, refused + done.refused
    click.echo(f"scrubbed {scrubbed} photo(s), deleted {deleted} original file(s)")
    if refused:
        click.echo(f"could not read {len(refused)} photo(s), left as they are: attachment ids {refused}")


statistics_cli = AppGroup("statistics", help="The aggregate tables behind the statistics and dashboards.")


@statistics_cli.command("check")
def statistics_check():
    """Recount every complaint and compare with the aggregate tables; exit 1 when they differ."""
    from .services.statistics import aggregates

    with session_factory()() as session:
        found = aggregates.differences(session)
    for line in found:
        click.echo(line)
    if found:
        raise SystemExit("the aggregates differ from a recount: run `flask --app app statistics rebuild`")
    click.echo("aggregates match a recount of the complaints")


@statistics_cli.command("rebuild")
def statistics_rebuild():
    """Empty the aggregate tables and recount every complaint, in one transaction."""
    from .services.statistics import aggregates

    with session_factory()() as session:
        rows = aggregates.rebuild(session)
        session.commit()
    click.echo(f"rebuilt {rows} aggregate rows")


users_cli = AppGroup("users", help="Administrator accounts and staff passwords.")


def _read_password() -> str:
    """Asked twice at a terminal, or read as one line from standard input (a script, a secrets manager).
    Never an argument: arguments are visible to every user of the machine (`ps`) and kept in shell history."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _refused(error) -> SystemExit:
    from .services.errors import Invalid

    if isinstance(error, Invalid):
        for field, messages in error.errors.items():
            for message in messages:
                click.echo(f"error: {field}: {message}", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    return SystemExit(1)


@users_cli.command("create-admin")
@click.option("--username", required=True, help="The administrator's sign-in name.")
@click.option("--full-name", required=True, help="Name and designation, as pages show it.")
@click.option("--email", default=None, help="E-mail address (optional).")
def users_create_admin(username, full_name, email):
    """Create an administrator account; the password is asked for (or read from standard input)."""
    from .services.errors import Invalid
    from .services.people import staff

    session = db()
    try:
        user = staff.create_admin(session, full_name=full_name, username=username, password=_read_password(),
                                  email=email)
    except Invalid as error:
        raise _refused(error) from None
    session.commit()
    click.echo(f"administrator {user.username} created")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--must-change/--no-must-change", default=True, show_default=True,
              help="Whether they must choose their own password at the next sign-in.")
def users_reset_password(username, must_change):
    """Set the password of the staff account USERNAME and sign it out everywhere; the password is asked
    for (or read from standard input)."""
    from .services.errors import Invalid, NotFound
    from .services.people import staff

    session = db()
    try:
        user = staff.reset_password(session, username, _read_password(), must_change=must_change)
    except (Invalid, NotFound) as error:
        raise _refused(error if isinstance(error, Invalid) else f"no staff account is called {username!r}") from None
    session.commit()
    then = "; they choose a new one at the next sign-in" if must_change else ""
    click.echo(f"password of {user.username} set, every sign-in ended{then}")


def init_app(app: Flask) -> None:
    from .files_cli import files_cli

    app.cli.add_command(files_cli)
    for command in (db_cli, process_cli, timers_cli, demo_cli, statistics_cli, notifications_cli, attachments_cli, seed,
                    serve, users_cli):
        app.cli.add_command(command)

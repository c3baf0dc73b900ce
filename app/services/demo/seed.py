"""Demo data for `flask --app app seed`: accounts for every role and complaints in several states.

Complaints are driven through the same services a person uses, so their
process state, inbox rows and timelines are real. One complaint is lodged
16 days in the past (travelling the clock, as SpiffWorkflow reads the real
one) so the Commissioner's escalation shows up at once. That travel needs
time-machine, which production does not install: it comes with the `demo`
extra (`pip install 'citizens-portal[demo]'`), and without it `seed` refuses
the demo data before it adds anything (`--no-demo` still works).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ...models import Category, District, Division, HumanTask, ProcessDefinition, Role, SecondFactor, User, utcnow
from ..people import accounts, second_factor
from ..casework import complaints, deployments, tasks
from .. import organisation
from ..casework.timers import fire_instance_timers

DEMO_PASSWORD = "demo-pass-2026"
# The one TOTP secret of every demo member of staff who signs in with a second factor, when the settings
# allow it (DEMO_SECOND_FACTOR: development only; production refuses to start with it). Publicly known, so
# `flask demo totp-code` can print the code the demo's authenticator app would show.
DEMO_TOTP_SECRET = "DEMOKPPORTALTOTPDEMOKPPORTALTOTP"


class DemoExtraMissing(RuntimeError):
    """The demo data was asked for, but the packages of the `demo` extra are not installed."""


def _time_machine():
    try:
        import time_machine
    except ImportError:
        raise DemoExtraMissing(
            "the demo data needs the demo extra (time-machine): pip install 'citizens-portal[demo]', "
            "or `make install` in a checkout; `seed --no-demo` adds the organisation and the process without it"
        ) from None
    return time_machine


# The first version's note (deployed by the seed command, with nobody signed in).
SHIPPED_NOTE = "the province's process as shipped"


def seed(session: Session, bpmn_dir: Path, *, with_demo: bool = True,
         second_factor_box: second_factor.SecretBox | None = None) -> list[str]:
    """`second_factor_box`: give the demo staff who must use a second factor DEMO_TOTP_SECRET (development)."""
    if with_demo:
        _time_machine()  # before anything is added: a missing extra leaves the database as it was
    counts = organisation.seed_organisation(session)
    lines = [f"organisation: added {', '.join(f'{n} {k}' for k, n in counts.items())}"]
    complaint = deployments.COMPLAINT_PROCESS
    if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == complaint)) is None:
        definition = deployments.deploy_file(session, bpmn_dir / "complaint.bpmn", note=SHIPPED_NOTE)
        lines.append(f"deployed complaint version {definition.version}")
    if with_demo:
        if session.scalar(select(User.id).where(User.username == "cs")) is None:
            _seed_demo(session)
            lines.append("demo accounts and complaints added")
        if second_factor_box is not None:
            _enrol_demo_staff(session, second_factor_box)
        lines.append(demo_logins(with_second_factor=second_factor_box is not None))
    return lines


def demo_logins(*, with_second_factor: bool = False) -> str:
    second = ["  second factor       every staff role but officers also gives a code: flask demo totp-code"
              if with_second_factor else "  second factor       not given to the demo staff here: they enrol at sign-in"]
    return "\n".join(
        [
            f"Demo sign-ins (password for all: {DEMO_PASSWORD}):",
            "  citizen             03001234567 (or CNIC 17301-1234567-1)",
            "  district officers   officer.lg.peshawar, officer.health.peshawar",
            "  deputy commissioner dc.peshawar   (another district: dc.mardan)",
            "  commissioner        commissioner.peshawar",
            "  chief secretary     cs",
            "  process analyst     analyst     administrator: admin",
            *second,
        ]
    )


def _enrol_demo_staff(session: Session, box: second_factor.SecretBox) -> None:
    """Every demo member of staff who must use a second factor has DEMO_TOTP_SECRET (once)."""
    staff = session.scalars(select(User).where(User.role.in_(second_factor.REQUIRED_ROLES),
                                               User.username.is_not(None))).all()
    have = set(session.scalars(select(SecondFactor.user_id)))
    for user in staff:
        if user.id not in have:
            session.add(SecondFactor(user_id=user.id, secret_encrypted=box.encrypt(DEMO_TOTP_SECRET),
                                     confirmed_at=utcnow()))
    session.flush()


def _seed_demo(session: Session) -> None:
    peshawar = session.scalar(select(District).where(District.name == "Peshawar"))
    mardan = session.scalar(select(District).where(District.name == "Mardan"))
    division = session.get(Division, peshawar.division_id)
    category = {c.code.split("-")[0] + ":" + c.name: c for c in session.scalars(select(Category))}

    def staff(role, username, name, **scope):
        return accounts.create_staff(
            session, accounts.StaffInput(role=role, full_name=name, username=username, password=DEMO_PASSWORD, **scope)
        )

    staff(Role.ADMIN, "admin", "Portal Administrator")
    staff(Role.ANALYST, "analyst", "Sana Process Analyst")
    staff(Role.CHIEF_SECRETARY, "cs", "Chief Secretary Khyber Pakhtunkhwa")
    staff(Role.COMMISSIONER, "commissioner.peshawar", "Commissioner Peshawar Division", division_id=division.id)
    dc = staff(Role.DEPUTY_COMMISSIONER, "dc.peshawar", "Deputy Commissioner Peshawar", district_id=peshawar.id)
    staff(Role.DEPUTY_COMMISSIONER, "dc.mardan", "Deputy Commissioner Mardan", district_id=mardan.id)
    lg = _department_of(category, "LGERD")
    health = _department_of(category, "HEALTH")
    officer_lg = staff(
        Role.DISTRICT_OFFICER, "officer.lg.peshawar", "Bilal Ahmad (TMO)", district_id=peshawar.id, department_id=lg
    )
    officer_health = staff(
        Role.DISTRICT_OFFICER, "officer.health.peshawar", "Dr. Nadia Shah (DHO)", district_id=peshawar.id,
        department_id=health,
    )
    ayesha = accounts.create_citizen(
        session,
        accounts.Registration("Ayesha Khan", "17301-1234567-1", "0300-1234567", peshawar.id, DEMO_PASSWORD, DEMO_PASSWORD),
    )
    imran = accounts.create_citizen(
        session,
        accounts.Registration("Imran Ali", "16101-7654321-3", "0311-1234567", mardan.id, DEMO_PASSWORD, DEMO_PASSWORD),
    )

    def lodge(citizen, district, category_prefix, subject, description, at=(None, None)):
        cat = next(c for key, c in category.items() if key.startswith(category_prefix))
        return complaints.submit_complaint(
            session, citizen, complaints.ComplaintInput(cat.id, district.id, subject, description,
                                                        latitude=at[0], longitude=at[1])
        )

    def act(complaint, actor, **fields):
        task = session.scalar(
            select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))
            .order_by(HumanTask.id)
        )
        tasks.complete_task(session, task.id, actor, MultiDict(fields))

    lodge(ayesha, peshawar, "LGERD:Street", "Streetlights out on University Road",
          "All streetlights between Board Bazaar and the university gate have been out for two weeks.",
          at=(34.0006, 71.4915))
    garbage = lodge(ayesha, peshawar, "LGERD:Garbage", "Garbage not collected in Hayatabad Phase 3",
                    "Garbage has not been collected from Street 7, Sector F-6 for ten days and it is piling up.",
                    at=(33.9915, 71.4432))
    act(garbage, dc, decision="assign", officer_id=str(officer_lg.id), instruction="Clear it within 48 hours.")
    bhu = lodge(ayesha, peshawar, "HEALTH:", "No doctor at the Basic Health Unit in Mathra",
                "The BHU in Mathra has had no doctor on duty in the mornings for the whole of this month.",
                at=(34.0967, 71.4702))
    act(bhu, dc, decision="assign", officer_id=str(officer_health.id), instruction="")
    act(bhu, officer_health, outcome="resolved", action_taken="A medical officer is now posted and attends daily.")
    drain = lodge(ayesha, peshawar, "LGERD:", "Main drain overflows on every rain in Gulbahar",
                  "The main drain of Gulbahar No. 1 overflows into the houses whenever it rains.",
                  at=(34.0190, 71.5930))
    act(drain, dc, decision="assign", officer_id=str(officer_lg.id), instruction="")
    act(drain, officer_lg, outcome="systemic",
        action_taken="The drain needs to be rebuilt; a scheme is proposed for the next annual development programme.")
    pothole = lodge(ayesha, peshawar, "LGERD:", "Open manhole near Firdous cinema",
                    "There is an open manhole on the main road near Firdous cinema; a child nearly fell in.",
                    at=(34.0080, 71.5650))
    act(pothole, dc, decision="assign", officer_id=str(officer_lg.id), instruction="Urgent.")
    act(pothole, officer_lg, outcome="resolved", action_taken="The manhole was covered the same day.")
    act(pothole, ayesha, rating="5", satisfied="yes", comment="Thank you for the quick action.")
    lodge(imran, mardan, "HEALTH:", "Medicines not available at the DHQ hospital Mardan",
          "The DHQ hospital pharmacy has had no insulin for three weeks; patients are told to buy it outside.",
          at=(34.2000, 72.0450))

    # Lodged 16 days ago and still unassigned: escalated to the Commissioner.
    lodged_at = utcnow() - timedelta(days=16)
    with _time_machine().travel(lodged_at, tick=False):
        school = lodge(ayesha, peshawar, "ESED:", "Girls' primary school in Pishtakhara has no teacher",
                       "The government girls' primary school has had no teacher since the last transfer orders.")
    fire_instance_timers(session, session.scalar(select(HumanTask.instance_id).where(
        HumanTask.complaint_id == school.id)), now=utcnow())


def _department_of(category, prefix):
    return next(c.department_id for key, c in category.items() if key.startswith(prefix + ":"))

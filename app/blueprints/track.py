"""Track a complaint without signing in: tracking number and the last four digits of the mobile number.

The answer is the complaint's milestones and dates only (services/casework/tracking.py).
The lookup is a POST so the digits stay out of addresses, histories and logs.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from ..services.casework import tracking
from ..services.errors import Invalid
from ..web import client_address, db
from ..offline import offline_copy

bp = Blueprint("track", __name__)


@bp.get("/track")
@offline_copy
def form():
    return render_template("track/index.html", values={}, errors={}, found=None)


@bp.post("/track")
def look_up():
    session = db()
    values = {"tracking_number": request.form.get("tracking_number", ""),
              "mobile_digits": request.form.get("mobile_digits", "")}
    config = current_app.config
    limits = tracking.LookupLimits(config["TRACK_LIMIT_PER_ADDRESS"], config["TRACK_LIMIT_PER_NUMBER"],
                                   config["TRACK_WINDOW_SECONDS"])
    try:
        found = tracking.look_up(session, values["tracking_number"], values["mobile_digits"],
                                 address=client_address(), limits=limits)
    except tracking.TooManyLookups as refused:
        session.commit()  # the refused try counts too
        page = render_template("track/index.html", values=values, errors=refused.errors, found=None)
        return page, 429, {"Retry-After": str(refused.retry_after)}
    except tracking.NotTracked:
        session.commit()
        missing = _("We found no complaint with this tracking number and these digits. "
                    "Check both and try again.")
        return render_template("track/index.html", values=values, errors={}, found=None, missing=missing), 404
    except Invalid as error:
        session.commit()
        return render_template("track/index.html", values=values, errors=error.errors, found=None), 400
    session.commit()
    return render_template("track/index.html", values={}, errors={}, found=found)

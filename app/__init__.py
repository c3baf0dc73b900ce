"""The Citizen's Portal Flask application.

`create_app` only loads and checks settings, sets up extensions and registers
blueprints. It migrates nothing and starts no thread or network connection:
the CLI (`flask --app app ...`) and `worker.py` do those things explicitly.
"""
from __future__ import annotations

from flask import Flask

from config import config_for


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    settings_class = config_for("testing" if test_config and test_config.get("TESTING") else None)
    app.config.from_object(settings_class)
    if test_config:
        app.config.update(test_config)
    settings_class.check(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from . import web

    web.init_app(app)

    from .blueprints import (
        admin, admin_keys, analyst, citizen, complaints, dashboards, files, inbox, manage, notifications, open311,
        password, public, statistics,
    )

    from . import api

    for blueprint in (public.bp, citizen.bp, complaints.bp, inbox.bp, manage.bp, admin.bp, admin_keys.bp, files.bp, open311.bp, api.bp, notifications.bp, analyst.bp, statistics.bp, dashboards.bp, password.bp):
        app.register_blueprint(blueprint)

    from . import cli

    cli.init_app(app)
    return app

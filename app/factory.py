"""The application factory: settings, extensions, blueprints, commands, and nothing more."""
from __future__ import annotations

from flask import Flask

from .settings import config_for


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask("app")  # the package: templates, static files and the instance folder are found from it
    settings_class = config_for("testing" if test_config and test_config.get("TESTING") else None)
    app.config.from_object(settings_class)
    if test_config:
        app.config.update(test_config)
    settings_class.check(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from . import headers, i18n, observability, offline, request_guard, web

    observability.init_app(app)  # first: its request id and clock start before any other hook can answer
    headers.init_app(app)
    request_guard.init_app(app)
    web.init_app(app)
    i18n.init_app(app)
    offline.init_app(app)

    from .blueprints import (
        account, admin, admin_departments, admin_keys, admin_places, analyst, app_shell, citizen, complaints, dashboards, files, inbox, manage,
        notifications, open311, operations, password, personal_data, places, public, second_factor, statistics, track, vendor,
    )

    from . import api

    for blueprint in (public.bp, citizen.bp, complaints.bp, inbox.bp, manage.bp, admin.bp, admin_departments.bp, admin_keys.bp, admin_places.bp, files.bp, open311.bp, api.bp, notifications.bp, analyst.bp, statistics.bp, dashboards.bp, password.bp, track.bp, vendor.bp, places.bp, account.bp, app_shell.bp, personal_data.bp, operations.bp,
                      second_factor.bp):
        app.register_blueprint(blueprint)

    from . import background, cli

    background.install_delivery_hint(app)
    from .services.operations import metrics

    metrics.count_commits(app.extensions["db_sessions"])  # complaints lodged, tasks completed: after the commit
    app.extensions["public_stats"] = _public_stats_snapshot(app)
    app.extensions["public_map"] = _public_map_snapshot(app)
    cli.init_app(app)
    return app


def _public_stats_snapshot(app: Flask):
    from .services.statistics import figures
    from .services.statistics.snapshot import Snapshot

    return Snapshot(figures.public_stats, app.extensions["db_sessions"], max_age=app.config.get("STATS_MAX_AGE", 60))


def _public_map_snapshot(app: Flask):
    from .services.statistics import public_map
    from .services.statistics.snapshot import Snapshot

    return Snapshot(public_map.located_cells, app.extensions["db_sessions"],
                    max_age=app.config["PUBLIC_MAP_MAX_AGE"])

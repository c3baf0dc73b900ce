"""The security headers of every response: pages, API answers, errors, static files and uploads.

One place sets them all (an after_request hook, which Flask also runs for error
responses and the static view), so no page, error handler or file view can forget one.
A view that needs a stricter header sets it itself (a file's sandboxing CSP);
these are only defaults and never overwrite what a view chose.
"""
from __future__ import annotations

from flask import Flask, current_app

from .settings import tile_origin

# Only the lodge page's map asks for the phone's position; nothing asks for camera,
# microphone or sensors (a photo is chosen with a file input, which needs no permission).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(self), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def content_security_policy(tile_url: str) -> str:
    """No inline scripts anywhere, so a strict policy costs nothing and stops injected
    markup from running. Images may also come from the map tile server, when one is set."""
    images = " ".join(filter(None, ("'self' data:", tile_origin(tile_url))))
    return f"default-src 'self'; img-src {images}; frame-ancestors 'none'"


def strict_transport_security(max_age: int, include_subdomains: bool) -> str | None:
    """HSTS, only where the settings ask for it (production): a browser that saw it uses HTTPS
    alone for that long, so a development server on plain HTTP must never send it."""
    if max_age <= 0:
        return None
    return f"max-age={max_age}" + ("; includeSubDomains" if include_subdomains else "")


def init_app(app: Flask) -> None:
    headers = {
        "Content-Security-Policy": content_security_policy(app.config.get("MAP_TILE_URL", "")),
        "X-Content-Type-Options": "nosniff",
        # Links to other sites carry no address of ours (a complaint's URL names its id).
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        # No other site's window keeps a handle on ours (and ours none on theirs).
        "Cross-Origin-Opener-Policy": "same-origin",
        # No other site may embed our answers (a photo, a JSON list) in its own pages.
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    hsts = strict_transport_security(app.config.get("HSTS_MAX_AGE", 0), app.config.get("HSTS_INCLUDE_SUBDOMAINS", False))
    if hsts:
        headers["Strict-Transport-Security"] = hsts
    app.extensions["security_headers"] = headers
    app.after_request(_add_security_headers)


def _add_security_headers(response):
    for name, value in current_app.extensions["security_headers"].items():
        response.headers.setdefault(name, value)
    return response

"""Settings, one class per environment, read from environment variables.

`PORTAL_ENV` picks the class (development by default). Every value a deployment
must set is checked when the app starts, so a misconfigured server refuses to
start instead of failing on the first request.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'portal.db'}")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(ROOT / "instance" / "uploads"))
    BPMN_DIR = str(ROOT / "bpmn")
    # Room for 5 files (photos of at most 5 MB, PDF documents of at most 10 MB: app/services/files)
    # plus the form fields; Werkzeug answers 413 above it. Files beyond 500 KB are spooled to disk.
    MAX_CONTENT_LENGTH = 51 * 1024 * 1024
    TIMER_SWEEP_BATCH = int(os.environ.get("TIMER_SWEEP_BATCH", "200"))
    TIMER_SWEEP_SECONDS = int(os.environ.get("TIMER_SWEEP_SECONDS", "60"))
    # Notifications (app/services/channels.py): SMS through an HTTP gateway, email
    # through SMTP; with neither set, messages go to the log (development).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")  # links in SMS and email
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "Citizen's Portal <no-reply@localhost>")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "true").lower() in ("1", "true", "yes")
    NOTIFY_BATCH = int(os.environ.get("NOTIFY_BATCH", "100"))  # messages per delivery round
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6"))  # then parked for an administrator
    NOTIFY_RETRY_SECONDS = int(os.environ.get("NOTIFY_RETRY_SECONDS", "60"))  # first retry; doubles each time
    NOTIFY_DELIVERY_SECONDS = int(os.environ.get("NOTIFY_DELIVERY_SECONDS", "10"))  # worker.py delivery schedule
    NOTIFY_DIGEST_CRON = os.environ.get("NOTIFY_DIGEST_CRON", "0 3 * * *")  # daily digest: 08:00 PKT
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a citizen on a slow phone may take long over a form
    # Mobile app API (/api/v1): how long a bearer token lives, and fixed-window rate
    # limits kept in the database so every web process shares them.
    API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "30"))
    API_SIGN_IN_LIMIT = int(os.environ.get("API_SIGN_IN_LIMIT", "10"))  # per IP address and login
    API_SIGN_IN_WINDOW_SECONDS = int(os.environ.get("API_SIGN_IN_WINDOW_SECONDS", "60"))
    API_REGISTER_LIMIT = int(os.environ.get("API_REGISTER_LIMIT", "10"))  # per IP address
    API_REGISTER_WINDOW_SECONDS = int(os.environ.get("API_REGISTER_WINDOW_SECONDS", "3600"))
    API_SUBMIT_LIMIT = int(os.environ.get("API_SUBMIT_LIMIT", "20"))  # per citizen
    API_SUBMIT_WINDOW_SECONDS = int(os.environ.get("API_SUBMIT_WINDOW_SECONDS", "3600"))
    OPEN311_POST_LIMIT = int(os.environ.get("OPEN311_POST_LIMIT", "300"))  # per API key
    OPEN311_POST_WINDOW_SECONDS = int(os.environ.get("OPEN311_POST_WINDOW_SECONDS", "3600"))
    # The public "track a complaint" page (no sign-in): lookups per caller address and per tracking
    # number in each window. Four digits of a mobile number are 10,000 guesses: at 10 an hour
    # for one tracking number, guessing them takes weeks.
    TRACK_LIMIT_PER_ADDRESS = int(os.environ.get("TRACK_LIMIT_PER_ADDRESS", "30"))
    TRACK_LIMIT_PER_NUMBER = int(os.environ.get("TRACK_LIMIT_PER_NUMBER", "10"))
    TRACK_WINDOW_SECONDS = int(os.environ.get("TRACK_WINDOW_SECONDS", "3600"))
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "Citizen's Portal, Government of Khyber Pakhtunkhwa")
    # How many reverse proxies (load balancer, nginx) stand in front of the app. Each
    # appends the caller's address to X-Forwarded-For; the app believes exactly
    # this many, so rate limits key on the phone's address, not the proxy's, and a
    # client cannot forge its address by sending the header itself. 0: no proxy.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Map tiles: a URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png ({s} for
    # subdomains). Empty: no tiles; the maps still work on a blank ground with the district centres.
    # The Content-Security-Policy lets images come from exactly this host (app/web.py). Follow the tile
    # server's usage policy; MAP_ATTRIBUTION (HTML) is shown in the map's corner, as its licence requires.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_ATTRIBUTION = os.environ.get("MAP_ATTRIBUTION", "")
    # The complaint list's map (/complaints/map.json) shows at most this many, the newest.
    COMPLAINT_MAP_LIMIT = int(os.environ.get("COMPLAINT_MAP_LIMIT", "5000"))
    # The public map's cells of about 1 km (GET /api/public/map) are recounted at most this often.
    PUBLIC_MAP_MAX_AGE = int(os.environ.get("PUBLIC_MAP_MAX_AGE", "300"))
    # The lodge page asks which district a pin suggests (GET /places/district): per address, light.
    PLACES_LOOKUP_LIMIT = int(os.environ.get("PLACES_LOOKUP_LIMIT", "120"))
    PLACES_LOOKUP_WINDOW_SECONDS = int(os.environ.get("PLACES_LOOKUP_WINDOW_SECONDS", "60"))
    TESTING = False

    @classmethod
    def check(cls, settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set")
        tile_origin(settings.get("MAP_TILE_URL", ""))


class DevelopmentConfig(BaseConfig):
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-only"


class ProductionConfig(BaseConfig):
    SESSION_COOKIE_SECURE = True

    @classmethod
    def check(cls, settings: dict) -> None:
        super().check(settings)
        if not settings["DATABASE_URL"].startswith("postgresql"):
            raise ConfigError("production runs on PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
        if not settings.get("REDIS_URL"):
            raise ConfigError("production needs REDIS_URL for the worker and the timer sweep")


def tile_origin(template: str) -> str | None:
    """The CSP source of a MAP_TILE_URL ("https://*.tile.example.org" for a {s} template); None when unset."""
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.hostname or not all(
            key in template for key in ("{z}", "{x}", "{y}")):
        raise ConfigError(f"MAP_TILE_URL must be an http(s) URL template with {{z}}, {{x}} and {{y}}, not {template!r}")
    if parts.username or any(c in parts.netloc for c in " ;,'{}"):
        raise ConfigError(f"MAP_TILE_URL has an unusable host: {parts.netloc!r}")
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def config_for(name: str | None = None) -> type[BaseConfig]:
    name = name or os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"unknown PORTAL_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None

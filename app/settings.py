"""Settings, one class per environment, read from environment variables.

`PORTAL_ENV` picks the class (development by default). Every value a deployment
must set is checked when the app starts, so a misconfigured server refuses to
start instead of failing on the first request.

Where the portal keeps its own data (the SQLite file of the embedded default,
uploaded photos) is PORTAL_DATA_DIR: by default `instance/` in a checkout, and
in an installed portal (`pip install`, the `portal` command) the user's data
folder, ~/.local/share/citizens-portal (XDG_DATA_HOME) — never inside the
installed package, which an upgrade replaces.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE = Path(__file__).resolve().parent
# A checkout (the repository) has setup.cfg beside the package; an installed portal does not.
CHECKOUT = PACKAGE.parent if (PACKAGE.parent / "setup.cfg").is_file() else None


def data_dir() -> Path:
    """PORTAL_DATA_DIR, or the default for a checkout or an installed portal (see the docstring)."""
    if os.environ.get("PORTAL_DATA_DIR"):
        return Path(os.environ["PORTAL_DATA_DIR"]).expanduser().absolute()
    if CHECKOUT is not None:
        return CHECKOUT / "instance"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "citizens-portal"



class ConfigError(RuntimeError):
    pass


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    DATA_DIR = str(data_dir())
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{Path(DATA_DIR) / 'portal.db'}")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(Path(DATA_DIR) / "uploads"))
    # Where photos and documents are kept (app/services/files): "directory" (UPLOAD_DIR; a shared mount when
    # several machines serve the portal) or "s3" (any S3-compatible object storage, through the S3_* settings).
    FILE_STORAGE = os.environ.get("FILE_STORAGE", "directory")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty: AWS; else e.g. https://minio.example.pk:9000
    S3_REGION = os.environ.get("S3_REGION", "")
    # Empty: boto3 finds credentials itself (AWS_* variables, an instance role...).
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")  # keys under this prefix, when the bucket holds other things
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "auto")  # "path" for most S3-compatible servers
    # Files are stored before their row commits; one that no row names after this long is an orphan
    # of a rolled-back transaction, deleted by the daily sweep at FILE_SWEEP_CRON (02:30 PKT).
    FILE_ORPHAN_GRACE_HOURS = int(os.environ.get("FILE_ORPHAN_GRACE_HOURS", "24"))
    FILE_SWEEP_CRON = os.environ.get("FILE_SWEEP_CRON", "30 21 * * *")
    # The analyst's source, bpmn/, in a checkout; the build copies it into the package (setup.py).
    BPMN_DIR = str(CHECKOUT / "bpmn" if CHECKOUT is not None else PACKAGE / "bpmn")
    # Room for 5 files (photos of at most 5 MB, PDF documents of at most 10 MB: app/services/files)
    # plus the form fields; Werkzeug answers 413 above it. Files beyond 500 KB are spooled to disk.
    MAX_CONTENT_LENGTH = 51 * 1024 * 1024
    TIMER_SWEEP_BATCH = int(os.environ.get("TIMER_SWEEP_BATCH", "200"))
    TIMER_SWEEP_SECONDS = int(os.environ.get("TIMER_SWEEP_SECONDS", "60"))
    # Notifications (app/services/notifications/channels.py): SMS through an HTTP gateway, email through SMTP.
    # A channel without its gateway marks its messages undeliverable (never sent, never logged: an SMS may
    # hold a code). Production refuses to start without SMS_GATEWAY_URL unless SMS_DISABLED=true on purpose.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")  # links in SMS and email
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMS_DISABLED = os.environ.get("SMS_DISABLED", "").lower() in ("1", "true", "yes")
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
    # Signed-in browsers (app/services/people/user_sessions.py): signed out after this long unused, and at the
    # latest this long after signing in, whatever they do. Staff see every complaint (and CNIC) of their scope,
    # so a browser left open in an office signs itself out soon; citizens on their own phones stay signed in.
    SESSION_IDLE_MINUTES_STAFF = int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", "30"))
    SESSION_IDLE_MINUTES_CITIZEN = int(os.environ.get("SESSION_IDLE_MINUTES_CITIZEN", str(30 * 24 * 60)))
    SESSION_LIFETIME_HOURS_STAFF = int(os.environ.get("SESSION_LIFETIME_HOURS_STAFF", "12"))  # a working day
    SESSION_LIFETIME_HOURS_CITIZEN = int(os.environ.get("SESSION_LIFETIME_HOURS_CITIZEN", str(90 * 24)))
    SESSION_PURGE_SECONDS = int(os.environ.get("SESSION_PURGE_SECONDS", "3600"))  # rows of ended sessions go
    COUNTER_PURGE_SECONDS = int(os.environ.get("COUNTER_PURGE_SECONDS", "3600"))  # spent rate-limit counters go
    # A citizen's cookie outlives closing the browser, up to the lifetime (Flask also refuses a cookie signed
    # longer ago than this); a member of staff's ends with the browser.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_LIFETIME_HOURS_CITIZEN)
    # Staff second factor (app/services/people/second_factor.py). The TOTP secrets are encrypted with the first
    # of these Fernet keys (comma-separated; keys after it still decrypt, for replacing a key). Production
    # refuses to start without them; elsewhere a key is derived from SECRET_KEY. Make one with
    # `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
    SECOND_FACTOR_KEYS = os.environ.get("SECOND_FACTOR_KEYS", "")
    SECOND_FACTOR_ISSUER = os.environ.get("SECOND_FACTOR_ISSUER", "KP Citizen's Portal")  # the name apps show
    # How long a sign-in waits between the password and the code before starting again.
    SECOND_FACTOR_PENDING_MINUTES = int(os.environ.get("SECOND_FACTOR_PENDING_MINUTES", "10"))
    # `flask seed` gives the demo staff one known TOTP secret (app/services/demo/seed.py): development only.
    DEMO_SECOND_FACTOR = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a citizen on a slow phone may take long over a form
    # Mobile app API (/api/v1): how long a bearer token lives, and fixed-window rate
    # limits kept in the database so every web process shares them; the pages share the
    # registration and lodging windows. (Tries of passwords and codes: people/tries.py.)
    API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "30"))
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
    # Strict-Transport-Security (app/headers.py): 0 sends none. Production sends a year, so a browser
    # that once reached the portal never again tries plain HTTP; subdomains only when they all serve HTTPS.
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", "0"))
    HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HSTS_INCLUDE_SUBDOMAINS", "false").lower() in ("1", "true", "yes")
    # GET /metrics (Prometheus): callers from these networks (comma-separated CIDRs), or with
    # "Authorization: Bearer <METRICS_TOKEN>". Behind a proxy, set TRUSTED_PROXIES so the address is the caller's.
    METRICS_ALLOWED_NETWORKS = os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Errors to Sentry (app/observability.py), scrubbed of CNICs, numbers, e-mail and passwords; empty: off.
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "")
    # Readiness (GET /readyz): the worker writes a heartbeat every HEARTBEAT_SECONDS; /readyz fails when the
    # newest is older than READY_HEARTBEAT_MAX_AGE, or a due BPMN timer has waited over READY_TIMER_LAG_MAX.
    HEARTBEAT_SECONDS = int(os.environ.get("HEARTBEAT_SECONDS", "30"))
    READY_HEARTBEAT_MAX_AGE = int(os.environ.get("READY_HEARTBEAT_MAX_AGE", "300"))
    READY_TIMER_LAG_MAX = int(os.environ.get("READY_TIMER_LAG_MAX", "900"))
    TESTING = False

    @classmethod
    def check(cls, settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set")
        metrics_networks(settings.get("METRICS_ALLOWED_NETWORKS", ""))
        tile_origin(settings.get("MAP_TILE_URL", ""))
        storage = settings.get("FILE_STORAGE", "directory")
        if storage not in ("directory", "s3"):
            raise ConfigError(f"FILE_STORAGE must be directory or s3, not {storage!r}")
        if storage == "s3" and not settings.get("S3_BUCKET"):
            raise ConfigError("FILE_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for a server other than AWS)")
        if settings.get("S3_ADDRESSING_STYLE", "auto") not in ("auto", "path", "virtual"):
            raise ConfigError("S3_ADDRESSING_STYLE must be auto, path or virtual")
        if int(settings.get("FILE_ORPHAN_GRACE_HOURS", 24)) < 1:
            raise ConfigError("FILE_ORPHAN_GRACE_HOURS must be at least 1: a transaction may still be storing files")


class DevelopmentConfig(BaseConfig):
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")
    DEMO_SECOND_FACTOR = True


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-only"


class ProductionConfig(BaseConfig):
    SESSION_COOKIE_SECURE = True
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))

    @classmethod
    def check(cls, settings: dict) -> None:
        super().check(settings)
        if not settings["DATABASE_URL"].startswith("postgresql"):
            raise ConfigError("production runs on PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
        if not settings.get("REDIS_URL"):
            raise ConfigError("production needs REDIS_URL for the worker and the timer sweep")
        if settings.get("SMS_DISABLED") and settings.get("SMS_GATEWAY_URL"):
            raise ConfigError("SMS_DISABLED=true and SMS_GATEWAY_URL are both set: unset one of them")
        if not settings.get("SMS_DISABLED") and not settings.get("SMS_GATEWAY_URL"):
            raise ConfigError("production sends SMS (registration and password-reset codes) through a gateway: set "
                              "SMS_GATEWAY_URL, or SMS_DISABLED=true to run without SMS on purpose")
        if not settings.get("SECOND_FACTOR_KEYS"):
            raise ConfigError("production needs SECOND_FACTOR_KEYS (Fernet keys) to encrypt staff TOTP secrets")
        if settings.get("DEMO_SECOND_FACTOR"):
            raise ConfigError("DEMO_SECOND_FACTOR gives staff a publicly known TOTP secret: never in production")


def metrics_networks(setting: str) -> list:
    """METRICS_ALLOWED_NETWORKS as networks; a typo stops the app at start rather than opening or closing /metrics."""
    import ipaddress

    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in setting.split(",") if item.strip()]
    except ValueError as error:
        raise ConfigError(f"METRICS_ALLOWED_NETWORKS: {error}") from None


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

"""Settings, one class per environment, read from environment variables.

`PORTAL_ENV` picks the class (development by default). Every value a deployment
must set is checked when the app starts, so a misconfigured server refuses to
start instead of failing on the first request.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'portal.db'}")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(ROOT / "instance" / "uploads"))
    BPMN_DIR = str(ROOT / "bpmn")
    MAX_PHOTO_BYTES = 5 * 1024 * 1024
    # Room for one photo plus the form fields; Werkzeug answers 413 above it.
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    TIMER_SWEEP_BATCH = int(os.environ.get("TIMER_SWEEP_BATCH", "200"))
    TIMER_SWEEP_SECONDS = int(os.environ.get("TIMER_SWEEP_SECONDS", "60"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a citizen on a slow phone may take long over a form
    TESTING = False

    @classmethod
    def check(cls, settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set")


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


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def config_for(name: str | None = None) -> type[BaseConfig]:
    name = name or os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"unknown PORTAL_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None

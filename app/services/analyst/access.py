"""Who may change what complaints run on: process analysts and administrators."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ...models import Role, User
from ..errors import NotAllowed

ANALYST_ROLES = (Role.ANALYST, Role.ADMIN)


def require_analyst(actor: User | None) -> None:
    if actor is None or actor.role not in ANALYST_ROLES:
        raise NotAllowed(_l("only process analysts and administrators may change processes"))

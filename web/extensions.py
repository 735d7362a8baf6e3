"""Extensions, created unbound and initialised in create_app."""

from flask import current_app
from flask_babel import Babel
from flask_babel import gettext as _
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from records.db import db

login_manager = LoginManager()
babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
# Storage, headers and the switch come from the RATELIMIT_* settings (web/config.py).
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _limits_switched_off() -> bool:
    # One Limiter object serves every app in the process (the tests build several); each app's setting decides.
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def limited(setting: str, scope: str, **kwargs):
    """A per-IP limit whose rate is the config value `setting`, shared by every view limited with the same scope
    (the help-center page and the API count against one budget)."""
    return limiter.shared_limit(
        lambda: current_app.config[setting],
        scope=scope,
        error_message=lambda: _("Too many requests from your address; please wait a little and try again."),
        **kwargs,
    )


def sign_in_limit(**kwargs):
    """Failed sign-ins (401) count against RATELIMIT_SIGN_IN; successful ones never do, so a team signing in
    together behind one office address is not locked out, while password guessing is."""
    return limited("RATELIMIT_SIGN_IN", "sign-in", deduct_when=lambda response: response.status_code == 401, **kwargs)


__all__ = ["babel", "bootstrap", "csrf", "db", "limited", "limiter", "sign_in_limit", "login_manager"]

"""Extensions, created unbound and initialised in create_app."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from records.db import db

migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()

__all__ = ["babel", "bootstrap", "csrf", "db", "login_manager", "migrate"]

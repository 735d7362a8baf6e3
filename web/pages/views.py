"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from records import audit
from records.db import db
from records.people import authenticate
from web.auth import signed_in_user
from web.extensions import sign_in_limit

bp = Blueprint("pages", __name__)


def safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after sign-in is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.index")


@bp.get("/")
def index():
    if signed_in_user() is None:
        return redirect(url_for("pages.login"))
    return redirect(url_for("record_pages.list_records_page"))


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limit(methods=["POST"])
def login():
    if request.method == "POST":
        user = authenticate(request.form.get("username", "").strip(), request.form.get("password", ""))
        if user is None:
            flash(_("Unknown username or wrong password."), "danger")
            return render_template("login.html", username=request.form.get("username", "")), 401
        login_user(user)
        audit.log(user, "user.login", user)
        db.session.commit()
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("pages.login"))


@bp.post("/language")
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
    return redirect(safe_next(request.form.get("next")))

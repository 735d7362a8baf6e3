"""Issue 18, Low 7: sign-out ends the session on the server, reactivation brings no token back, passwords are not
guessable at once, and an unknown username answers as slowly as a known one."""

from __future__ import annotations

import statistics
import time

import pytest
from marshmallow import ValidationError

from records.db import db as database
from records.enums import Role
from records.people import authenticate, create_user, set_user_active
from tests.conftest import PASSWORD


def test_a_session_cookie_stops_working_after_sign_out(app, client, login_as):
    login_as(Role.AGENT)
    assert client.get("/records").status_code == 200
    stolen = client.get_cookie("session").value
    client.post("/logout")
    assert client.get("/records").status_code == 302  # this browser forgot the cookie ...
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/records").status_code == 302  # ... and a copy of it is refused by the server
    assert replay.get("/api/v1/records").status_code == 401


def test_signing_in_again_after_sign_out_works(client, login_as, make_user):
    user = login_as(Role.AGENT)
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get("/records").status_code == 200


def test_deactivating_ends_sessions_and_reactivating_brings_no_token_back(client, make_user, token_for, db):
    user = make_user(Role.AGENT)
    headers = token_for(user)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert client.get("/api/v1/records", headers=headers).status_code == 200
    set_user_active(user.username, False, by="cli")
    database.session.commit()
    set_user_active(user.username, True, by="cli")
    database.session.commit()
    assert client.get("/records").status_code == 302
    client.delete_cookie("session")
    assert client.get("/api/v1/records", headers=headers).status_code == 401
    assert client.get("/api/v1/records", headers=token_for(user)).status_code == 200  # a new sign-in works


@pytest.mark.parametrize(
    "password",
    ["12345678", "short-9", "1234567890", "Password2024!", "qwertyuiop", "woaini1314", "aaaaaaaaaaaa", "wangfang2024"],
)
def test_short_and_common_passwords_are_refused(db, password):
    with pytest.raises(ValidationError) as refused:
        create_user("wangfang", role=Role.TRAINER, password=password)
    assert "password" in refused.value.messages


def test_the_api_explains_a_refused_password(client, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    body = {"username": "zhao", "password": "12345678", "role": "trainer"}
    response = client.post("/api/v1/users", json=body, headers=headers)
    assert response.status_code == 422
    assert "at least 10 characters" in str(response.json)
    body["password"] = "Qwerty123456"
    assert "too easy to guess" in str(client.post("/api/v1/users", json=body, headers=headers).json)
    body["password"] = "amber-kettle-71"
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == 201


def _seconds(username: str, password: str) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        authenticate(username, password)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_an_unknown_username_takes_as_long_as_a_known_one(app, db):
    # A slow hash, as in production, so the difference is the hashing and not the noise of a shared machine.
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:100000"
    try:
        create_user("timing", role=Role.TRAINER, password=PASSWORD)
        database.session.commit()
        authenticate("nobody", "wrong-password-1")  # the dummy hash is made once, outside the measurement
        known = _seconds("timing", "wrong-password-1")
        unknown = _seconds("nobody", "wrong-password-1")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert known > 0.01
    assert unknown > known / 2, (unknown, known)

"""Shared fixtures. The suite runs on SQLite, and on PostgreSQL when CONSULTKB_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from kb.models import Article
from kb.operations import create_article, publish_article, submit_for_review
from kb.schemas import ArticleInputSchema
from records.db import db as database
from records.enums import Role
from records.models import Record, User
from records.operations import create_record
from records.people import create_user
from records.schemas import RecordInputSchema
from web import create_app

FIXTURES = Path(__file__).parent / "fixtures"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"
PASSWORD = "correct-horse-9"
_sequence = count(1)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to the local database at most; anything else is a defect (models must never download)."""
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(sock, address)
        raise RuntimeError(f"A test tried to open a network connection to {address!r}.")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The catalogs (`pybabel compile` in make), compiled once per session into a temporary directory.

    The .mo files are build output, not in git: a fresh clone has none. Compiling into the source tree would leave
    files behind and race between worktrees, so every app the suite builds reads them from here instead — through
    the environment, which reaches the apps tests build themselves and the system tests' `consultkb` processes too.
    """
    directory = tmp_path_factory.mktemp("translations")
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        locale = po.parents[1].name
        mo = directory / locale / "LC_MESSAGES" / "messages.mo"
        mo.parent.mkdir(parents=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=locale)
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSULTKB_BABEL_TRANSLATION_DIRECTORIES", str(directory))
        yield directory


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("CONSULTKB_TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "DATA_DIR": str(instance / "data"),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # BM25 only unless a test asks for the real model (marked `model`, fixture `embeddings`).
            "EMBEDDINGS_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with application.app_context():
        # A leftover schema from an earlier run on PostgreSQL would hide migration mistakes: start from nothing.
        database.drop_all()
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield application
    with application.app_context():
        database.session.remove()
        # Pooled connections closed explicitly: left to the garbage collector they warn, and warnings are errors.
        database.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator:
    with app.app_context():
        yield database
        database.session.rollback()
        database.session.remove()
        with database.engine.begin() as connection:
            for table in reversed(database.metadata.sorted_tables):
                connection.execute(table.delete())


class FreshRequestClient(FlaskClient):
    """A test client whose requests don't share the signed-in user.

    Tests hold an app context open (to use the database), and Flask reuses it for requests, so `g` — where
    Flask-Login caches the current user — would otherwise leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def factory(
        role: str | Role = Role.AGENT, *, username: str | None = None, team: str | None = "客服A组", **extra
    ) -> User:
        role = Role(role)
        user = create_user(
            username or f"{role.value}{next(_sequence)}",
            role=role,
            password=PASSWORD,
            team=team if role in (Role.AGENT, Role.SUPERVISOR) else None,
            **extra,
        )
        database.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client: FlaskClient, make_user) -> Callable[..., User]:
    """Sign the test client in (session cookie) as a new user of that role."""

    def sign_in(role: str | Role = Role.AGENT, **kwargs) -> User:
        user = make_user(role, **kwargs)
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return sign_in


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """One of each role: agents and supervisors of 客服A组 and 客服B组, a trainer and an administrator."""
    return {
        "agent": make_user(Role.AGENT, team="客服A组"),
        "other_agent": make_user(Role.AGENT, team="客服B组"),
        "supervisor": make_user(Role.SUPERVISOR, team="客服A组"),
        "other_supervisor": make_user(Role.SUPERVISOR, team="客服B组"),
        "trainer": make_user(Role.TRAINER),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    def headers(user: User) -> dict[str, str]:
        response = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return headers


@pytest.fixture
def embeddings(app: Flask) -> Iterator[None]:
    """Switch the real packaged embedding model on for one test (mark the test `model`)."""
    app.config["EMBEDDINGS_ENABLED"] = True
    yield
    app.config["EMBEDDINGS_ENABLED"] = False


@pytest.fixture
def make_article(db, make_user) -> Callable[..., Article]:
    """Create an article through the service layer; published by a second trainer unless `status` says otherwise."""
    writers: dict[str, User] = {}

    def factory(status: str = "published", *, author: User | None = None, **fields) -> Article:
        if author is None:
            writers.setdefault("author", make_user(Role.TRAINER))
            author = writers["author"]
        data = {"title": "如何重置登录密码", "body": "在登录页点击“忘记密码”，按短信验证码重置。", **fields}
        article = create_article(ArticleInputSchema().load(data), by=author)
        if status in ("in_review", "published"):
            submit_for_review(article, by=author)
        if status == "published":
            writers.setdefault("reviewer", make_user(Role.TRAINER))
            publish_article(article, by=writers["reviewer"])
        database.session.commit()
        return article

    return factory


def record_payload(**overrides) -> dict:
    """A valid, complete record as a client would send it."""
    payload = {
        "channel": "phone",
        "contacted_at": "2026-11-02 14:30",
        "duration_minutes": 12,
        "category": "功能故障",
        "subcategory": "登录异常",
        "priority": "medium",
        "status": "resolved",
        "customer": {"name": "张先生", "phone": "13812345678", "email": "zhang.san@example.com"},
        "problem_description": "客户自11月1日起登录App提示“密码错误”，已确认密码无误，版本 5.2.1。",
        "customer_request": "希望尽快恢复登录。",
        "emotion": "anxious",
        "handling_steps": "核实账号状态\n引导清除缓存后重试",
        "resolution": "重置登录状态后客户成功登录。",
        "satisfaction": 5,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def make_record(db, make_user) -> Callable[..., Record]:
    """Create a record through the service layer; `agent` defaults to a new agent."""

    def factory(agent: User | None = None, **overrides) -> Record:
        agent = agent or make_user(Role.AGENT)
        data = RecordInputSchema().load(record_payload(**overrides))
        record = create_record(data, by=agent)
        database.session.commit()
        return record

    return factory

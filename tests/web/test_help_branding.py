"""The help center branded per installation (configuration, then the administrator's page), its customer-only
links, and the error pages customers can reach: branded and in their language."""

from __future__ import annotations

import gc
import io
import re

import pytest
from PIL import Image

from kb.models import HelpCenterSettings
from records.db import db as database
from records.enums import Role
from web import create_app
from web.config import ConfigError


def page(response) -> str:
    return response.get_data(as_text=True)


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1a73e8").save(buffer, format="PNG")
    return buffer.getvalue()


def visitor(app, language: str | None = None):
    browser = app.test_client()
    if language:
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return browser


BRANDING = {
    "name": "小满客服中心",
    "logo_url": "",
    "primary_color": "#ffcc00",
    "footer_text": "© 小满科技 2026",
    "contact_phone": "400-800-1234",
    "contact_email": "help@example.com",
    "contact_hours": "周一至周五 9:00–18:00",
    "default_language": "en",
}


# ----- customer pages ------------------------------------------------------------------------------------------------


def test_customer_pages_link_only_to_the_help_center_and_a_quiet_staff_sign_in(app, db, make_article):
    article = make_article(category="操作咨询")
    browser = visitor(app, "zh-CN")
    for url in ("/help", f"/help/articles/{article.id}", "/help/contact", "/help/categories/how_to"):
        html = page(browser.get(url))
        links = set(re.findall(r'href="([^"#]+)', html))
        staff = {
            link
            for link in links
            if not link.startswith(("/help", "/static", "/bootstrap/static", "tel:", "mailto:", "data:"))
        }
        assert staff == {"/login"}, url
        assert 'class="help-brand me-auto" href="/help"' in html, "the logo leads to the help center"
        assert "帮助中心" in html and "员工登录" in html


def test_configured_branding_shows_on_the_help_center(app, db, monkeypatch):
    for key, value in {
        "HELP_CENTER_NAME": "Acme Support",
        "HELP_CENTER_PRIMARY_COLOR": "#0A0",
        "HELP_CENTER_FOOTER_TEXT": "Acme Ltd.",
        "HELP_CENTER_CONTACT_EMAIL": "care@acme.test",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    html = page(visitor(app, "en").get("/help"))
    assert "<title> · Acme Support</title>" not in html and "Acme Support</span>" in html
    assert "<h1" in html and ">Acme Support</h1>" in html
    assert "--help-primary: #00aa00; --help-on-primary: #000000" in html, "dark text on a light green"
    assert "help-branded" in html and "Acme Ltd." in html and 'href="mailto:care@acme.test"' in html


def test_the_name_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULTKB_HELP_CENTER_NAME", "环境里的名字")
    application = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert application.config["HELP_CENTER_NAME"] == "环境里的名字"


@pytest.mark.parametrize(
    "key, value",
    [
        ("HELP_CENTER_PRIMARY_COLOR", "red"),
        ("HELP_CENTER_LOGO_URL", "javascript:alert(1)"),
        ("HELP_CENTER_DEFAULT_LANGUAGE", "fr"),
    ],
)
def test_bad_configured_branding_stops_the_start(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), key: value})


# ----- the administrator's page --------------------------------------------------------------------------------------


def test_an_administrator_brands_the_help_center_over_the_configuration(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "HELP_CENTER_NAME", "Configured name")
    login_as(Role.ADMIN)
    form = page(client.get("/admin/help-center"))
    assert "Configured name" in form, "the configured value is shown beside the field"
    response = client.post("/admin/help-center", data=BRANDING)
    assert response.status_code == 302

    html = page(visitor(app).get("/help"))
    assert 'lang="en"' in html, "the default language, for a browser asking for none"
    assert "小满客服中心</span>" in html and "Configured name" not in html
    assert "--help-primary: #ffcc00; --help-on-primary: #000000" in html
    assert "© 小满科技 2026" in html and 'href="tel:400-800-1234"' in html and "周一至周五 9:00–18:00" in html
    assert 'lang="zh-CN"' in page(visitor(app, "zh-CN").get("/help")), "the browser's language still wins"

    # Emptied, a field goes back to the configuration.
    client.post("/admin/help-center", data={**BRANDING, "name": ""})
    assert "Configured name</span>" in page(visitor(app).get("/help"))


def test_an_uploaded_logo_is_served_and_shown(app, client, login_as):
    login_as(Role.ADMIN)
    image = png()
    response = client.post(
        "/admin/help-center",
        data={**BRANDING, "logo": (io.BytesIO(image), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = page(visitor(app).get("/help"))
    [src] = re.findall(r'<img class="help-logo" src="([^"]+)"', html)
    assert src.startswith("/help/logo?v=")
    served = visitor(app).get(src)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == image

    client.post("/admin/help-center", data={**BRANDING, "remove_logo": "1"})
    assert visitor(app).get("/help/logo").status_code == 404
    assert "help-logo" not in page(visitor(app).get("/help"))


def test_a_logo_at_another_site_is_allowed_by_the_content_security_policy(app, client, login_as):
    login_as(Role.ADMIN)
    client.post("/admin/help-center", data={**BRANDING, "logo_url": "https://cdn.example.com/brand/logo.png"})
    response = visitor(app).get("/help")
    assert '<img class="help-logo" src="https://cdn.example.com/brand/logo.png"' in page(response)
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in policy
    assert "script-src 'self';" in policy, "nothing else is loosened"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"primary_color": "red"}, "primary_color", "Give a colour as # and 6 hex digits"),
        ({"primary_color": "#12345g"}, "primary_color", "Give a colour as # and 6 hex digits"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url", "https://"),
        ({"logo_url": "//evil.example/x.png"}, "logo_url", "https://"),
        ({"contact_email": "not an address"}, "contact_email", "email"),
        ({"contact_phone": "call me"}, "contact_phone", "digits"),
        ({"default_language": "fr"}, "default_language", "Choose a language."),
        ({"name": "长" * 81}, "name", "80"),
        ({"logo": (io.BytesIO(b"<svg onload='alert(1)'/>"), "logo.svg")}, "logo", "PNG, JPEG, GIF or WebP"),
    ],
)
def test_bad_branding_is_refused_and_nothing_is_saved(english_admin, changes, field, message):
    client = english_admin
    response = client.post("/admin/help-center", data={**BRANDING, **changes}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = page(response)
    assert message.lower() in html.lower(), html
    assert 'id="f-' + field + '"' in html or field == "logo"
    assert database.session.query(HelpCenterSettings).count() == 0


# werkzeug's test client spools a body this large to a temporary file it never closes (the app closes its upload);
# collected here, its ResourceWarning would otherwise fail whichever test runs next.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning")
def test_a_logo_over_512_kb_is_refused(english_admin):
    big = b"\x89PNG\r\n\x1a\n" + b"0" * 600_000
    response = english_admin.post(
        "/admin/help-center",
        data={**BRANDING, "logo": (io.BytesIO(big), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "The logo is larger than 512 KB." in page(response)
    assert database.session.query(HelpCenterSettings).count() == 0
    del response
    gc.collect()


@pytest.fixture
def english_admin(client, login_as):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(Role.ADMIN)
    return client


def test_only_administrators_brand_the_help_center(client, login_as):
    assert client.get("/admin/help-center").status_code == 302
    for role in (Role.AGENT, Role.SUPERVISOR, Role.TRAINER):
        login_as(role)
        assert client.get("/admin/help-center").status_code == 403, role
        assert client.post("/admin/help-center", data=BRANDING).status_code == 403, role
    assert database.session.query(HelpCenterSettings).count() == 0


# ----- error pages ---------------------------------------------------------------------------------------------------


def test_a_missing_article_is_a_branded_chinese_page_leading_back_to_the_help_center(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "HELP_CENTER_NAME", "小满客服中心")
    response = visitor(app, "zh-CN").get("/help/articles/99999")
    assert response.status_code == 404
    html = page(response)
    assert "这篇文章不存在或已下线。" in html and "小满客服中心" in html
    assert "Not Found" not in html and "No article" not in html
    assert '<a class="btn btn-primary" href="/help">返回帮助中心</a>' in html
    assert 'href="/"' not in html, "nothing leads to the staff start page"


def test_every_error_a_customer_reaches_is_in_their_language(app, db, monkeypatch):
    browser = visitor(app, "zh-CN")
    missing = browser.get("/help/no-such-page")
    assert missing.status_code == 404 and "找不到页面" in page(missing)
    category = browser.get("/help/categories/nothing-here")
    assert category.status_code == 404 and "此分类下没有文章。" in page(category)
    wrong_method = browser.put("/help/contact")
    assert wrong_method.status_code == 405 and "不允许的操作" in page(wrong_method)
    assert "GET" in wrong_method.headers["Allow"]
    outside = browser.get("/no-such-page")
    assert outside.status_code == 404 and "返回帮助中心" in page(outside), "a visitor not signed in is a customer"

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(*args, **kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr("web.pages.selfservice.public_category_counts", broken)
    failed = browser.get("/help")
    assert failed.status_code == 500
    html = page(failed)
    assert "我们这边出了点问题" in html and "the database fell over" not in html and "帮助中心" in html
    english = visitor(app, "en").get("/help")
    assert "Something went wrong on our side." in page(english)


def test_staff_keep_their_own_error_pages_translated(client, login_as):
    login_as(Role.AGENT)
    client.post("/language", data={"language": "zh_CN"})
    refused = client.get("/help/insights")
    assert refused.status_code == 403
    html = page(refused)
    assert "无权访问" in html and "403 Forbidden" not in html
    assert "help-bar" not in html and "返回首页" in html, "the staff layout, back to the staff start page"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "找不到页面" in page(missing) and "help-bar" not in page(missing)


@pytest.fixture
def limited_app(tmp_path):
    from flask_migrate import upgrade

    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
            "DATA_DIR": str(tmp_path / "data"),
            "WTF_CSRF_ENABLED": False,
            "EMBEDDINGS_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_SEARCH": "1/minute",
        }
    )
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        database.session.remove()
        database.engine.dispose()


def test_too_many_searches_is_a_branded_chinese_page_with_retry_after(limited_app):
    browser = limited_app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert browser.get("/help", query_string={"q": "密码"}).status_code == 200
    refused = browser.get("/help", query_string={"q": "密码"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    html = page(refused)
    assert "请求过于频繁" in html and "help-bar" in html and "Too Many Requests" not in html

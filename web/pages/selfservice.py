"""The public help center under /help: search with snippets, category browsing, article pages with related articles
and "was this helpful?", the "still need help?" contact form; and, for staff, the deflection figures.

Customers need no account. Everything they see comes from published (live) article versions; drafts, articles in
review and archived ones do not exist here. The pages work without JavaScript; help_search.js adds instant results.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from kb.branding import Branding, current_branding, uploaded_logo
from kb.content import render_markdown
from kb.insights import LOW_HELPFUL_RATIO, REVIEW_MIN_ANSWERS, REVIEW_TOP_VIEWED, self_service_figures
from kb.models import Article, ArticleVersion, FeedbackReason, SearchSession
from kb.operations import get_public_article
from kb.schemas import ContactRequestSchema, FeedbackSchema
from kb.search import search_service
from kb.selfservice import (
    NoAgentAvailable,
    add_feedback,
    category_code,
    create_contact_request,
    get_or_start_session,
    get_session,
    log_click,
    log_search,
    public_articles_in,
    public_category_counts,
    record_view,
    related_articles,
    session_feedback,
    session_queries,
)
from kb.selfservice_schemas import DeflectionQuerySchema
from records.charts import GREY, PALETTE, Series, bar_chart, column_chart, number_format
from records.db import db
from records.enums import Language, Role
from records.importing import flatten_messages
from records.operations import taxonomy
from records.taxonomy import Category
from records.timeutil import local_day_start, local_today
from web.auth import roles_required
from web.errors import customer_abort
from web.extensions import limited
from web.help_session import current_session_id, forget, is_crawler, remember
from web.pages.customer_links import deliver_request_link
from web.pages.display import ui_locale
from web.pages.record_forms import RecordForm

bp = Blueprint("help", __name__, url_prefix="/help")

#: Results on the server-rendered search page.
PAGE_RESULTS = 20
#: The insights page shows this many days up to today unless a range is chosen.
INSIGHTS_DEFAULT_DAYS = 30
#: The Flask-session key holding the number of the visitor's last contact request, for the thank-you page.
REQUEST_NO_KEY = "help_request_no"
#: ... and its status link, and whether it was mailed.
REQUEST_LINK_KEY = "help_request_link"
CONTACT_FIELDS = ("name", "phone", "email", "description")
#: Articles in the insights page's "most viewed" chart.
INSIGHT_CHART_ARTICLES = 10
#: Roles that see the self-service figures.
INSIGHT_ROLES = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)

search_limit = limited("RATELIMIT_SEARCH", "search", exempt_when=lambda: not request.args.get("q", "").strip())
feedback_limit = limited("RATELIMIT_FEEDBACK", "feedback")
# Only requests that were made count: a customer correcting a typo in the form is not refused.
contact_limit = limited(
    "RATELIMIT_CONTACT", "contact", methods=["POST"], deduct_when=lambda response: response.status_code < 400
)


# ----- search and browsing -------------------------------------------------------------------------------------------


@bp.get("")
@search_limit
def index():
    q = request.args.get("q", "").strip()[:300]
    language = request.args.get("lang", "") if request.args.get("lang") in Language.values() else ""
    try:
        category = category_code(request.args.get("category"))
    except ValidationError:
        category = None
    response = None
    if q:
        response = search_service().search(q, language=language or None, category=category, limit=PAGE_RESULTS)
        visit = get_or_start_session(current_session_id(), language or None)
        log_search(visit, response.query, len(response.results))
        db.session.commit()
        remember(visit)
    return render_template(
        "help/index.html",
        q=q,
        language=language,
        category=category or "",
        response=response,
        categories=category_tree(),
    )


@bp.get("/categories/<code>")
def category(code: str):
    counts = public_category_counts()
    top, sub = find_category(code)
    if top is None or not counts.get(code):
        customer_abort(404, _("There are no articles in this category."))
    return render_template(
        "help/category.html",
        top=top,
        current=sub or top,
        children=[(child, counts.get(child.code, 0)) for child in top.children if counts.get(child.code)],
        articles=public_articles_in(code),
    )


@bp.get("/articles/<ref>")
def article(ref: str):
    item, version = get_public_article(ref)
    if is_crawler():
        record_view(item)
        db.session.commit()
        return render_article(item, version)
    # Every view belongs to the visitor's session: a contact request later in the visit tells whether it helped.
    visit = get_or_start_session(current_session_id())
    if request.args.get("from") == "search":
        log_click(visit, item)
    record_view(item, visit)
    db.session.commit()
    remember(visit)
    return render_article(item, version)


def render_article(item: Article, version: ArticleVersion, *, form: RecordForm | None = None, status: int = 200):
    current = session_feedback(item, current_session_id())
    if form is None:
        form = RecordForm(
            values={"comment": current.comment or "", "reason": current.reason.value if current.reason else ""}
            if current
            else {}
        )
    return (
        render_template(
            "help/article.html",
            article=item,
            version=version,
            body=render_markdown(version.body),
            related=related_articles(item, version),
            form=form,
            current=current,
            reasons=[(reason.value, reason.label(ui_locale())) for reason in FeedbackReason],
        ),
        status,
    )


@bp.post("/articles/<ref>/feedback")
@feedback_limit
def feedback(ref: str):
    """A vote, and after "no" the reason and comment; a visitor who votes again changes their answer."""
    item, version = get_public_article(ref)
    answer = request.form.get("helpful", "")
    helpful = {"yes": True, "no": False}.get(answer, answer)
    raw = {
        "helpful": helpful,
        # The reasons are asked after "no"; a visitor switching to "yes" leaves them behind.
        "reason": None if helpful is True else request.form.get("reason"),
        "comment": request.form.get("comment"),
    }
    try:
        data = FeedbackSchema().load({key: value for key, value in raw.items() if value not in (None, "")})
        visit = get_or_start_session(current_session_id())
        add_feedback(item, data["helpful"], data.get("comment"), visit.id, reason=data.get("reason"))
    except ValidationError as error:
        db.session.rollback()
        values = {"comment": request.form.get("comment", ""), "reason": request.form.get("reason", "")}
        form = RecordForm(values=values, errors=form_messages(error.messages))
        if "helpful" in form.errors:
            form.errors["helpful"] = [_("Choose yes or no.")]
        return render_article(item, version, form=form, status=422)
    db.session.commit()
    remember(visit)
    # After a bare "no" the page asks why; thanking first would read as the end of it.
    if data["helpful"] or data.get("reason") or data.get("comment"):
        flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("help.article", ref=item.id, _anchor="feedback"))


# ----- still need help? ----------------------------------------------------------------------------------------------


@bp.route("/contact", methods=["GET", "POST"])
@contact_limit
def contact():
    visit = get_session(current_session_id())
    if request.method == "GET":
        form = RecordForm(values={"description": request.args.get("q", "").strip()[:300]})
        return render_contact(form, visit)
    values = {name: request.form.get(name, "") for name in CONTACT_FIELDS}
    try:
        data = ContactRequestSchema().load(values)
    except ValidationError as error:
        return render_contact(RecordForm(values=values, errors=form_messages(error.messages)), visit, status=422)
    visit = get_or_start_session(current_session_id())
    try:
        record = create_contact_request(data, visit.id)
    except NoAgentAvailable:
        db.session.rollback()
        customer_abort(503, _("We cannot take requests online right now; please call us instead."))
    db.session.commit()
    forget()
    session[REQUEST_NO_KEY] = record.number
    session[REQUEST_LINK_KEY] = deliver_request_link(record)
    return redirect(url_for("help.thanks"))


def render_contact(form: RecordForm, visit: SearchSession | None, *, status: int = 200):
    queries = session_queries(visit) if visit is not None else []
    return render_template("help/contact.html", form=form, queries=queries), status


@bp.get("/contact/thanks")
def thanks():
    number = session.get(REQUEST_NO_KEY)
    if not number:
        return redirect(url_for("help.index"))
    link = session.get(REQUEST_LINK_KEY) or {}
    return render_template("help/thanks.html", number=number, status_url=link.get("url"), mailed=link.get("mailed"))


# ----- staff: deflection figures -------------------------------------------------------------------------------------


@bp.get("/insights")
@roles_required(*INSIGHT_ROLES)
def insights():
    errors: dict[str, list[str]] = {}
    try:
        args = DeflectionQuerySchema().load(request.args)
    except ValidationError as error:
        args, errors = {}, form_messages(error.messages)
    last = args.get("date_to") or local_today()
    first = args.get("date_from") or last - timedelta(days=INSIGHTS_DEFAULT_DAYS - 1)
    window = args.get("window") or int(current_app.config["SELF_SERVICE_DEFLECTION_DAYS"])
    unviewed = args.get("unviewed") or int(current_app.config["SELF_SERVICE_UNVIEWED_DAYS"])
    figures = self_service_figures(
        local_day_start(first), local_day_start(last + timedelta(days=1)), window_days=window, unviewed_days=unviewed
    )
    body = render_template(
        "help/insights.html",
        summary=figures,
        charts=insight_charts(figures),
        first=first,
        last=last,
        window=window,
        unviewed=unviewed,
        review={
            "top": REVIEW_TOP_VIEWED,
            "share": f"{LOW_HELPFUL_RATIO:.0%}".replace("%", " %"),
            "answers": REVIEW_MIN_ANSWERS,
        },
        errors=errors,
    )
    # What was not understood is named on the page, which shows the defaults meanwhile.
    return body, 422 if errors else 200


def insight_charts(figures: dict) -> dict[str, Markup | None]:
    """The insights page's charts: deflection by day of the first view, and the most viewed articles."""
    locale = ui_locale()
    count = number_format(locale)
    days = figures["days"]
    outcomes = [
        Series(_("Successful"), [day["successful"] for day in days], colour=PALETTE[2]),
        Series(_("Failed"), [day["failed"] for day in days], colour=PALETTE[3]),
        Series(_("Potential (window still open)"), [day["potential"] for day in days], colour=GREY),
    ]
    viewed = [row for row in figures["articles"] if row["views"]][:INSIGHT_CHART_ARTICLES]
    return {
        "deflection": column_chart(
            _("Deflection by day of the first article view"),
            [day["day"].strftime("%m-%d") for day in days],
            outcomes,
            value_format=count,
        ),
        "articles": bar_chart(
            _("Most viewed articles"),
            [row["title"] for row in viewed],
            [Series(_("Views"), [row["views"] for row in viewed])],
            value_format=count,
        ),
    }


# ----- helpers -------------------------------------------------------------------------------------------------------


def category_tree() -> list[tuple[Category, int, list[tuple[Category, int]]]]:
    """(category, count, [(subcategory, count)]) for the categories that have public articles."""
    counts = public_category_counts()
    return [
        (top, counts[top.code], [(sub, counts[sub.code]) for sub in top.children if counts.get(sub.code)])
        for top in taxonomy().categories
        if counts.get(top.code)
    ]


def find_category(code: str) -> tuple[Category | None, Category | None]:
    for top in taxonomy().categories:
        if top.code == code:
            return top, None
        for sub in top.children:
            if sub.code == code:
                return top, sub
    return None, None


def form_messages(messages: dict | list) -> dict[str, list[str]]:
    """Schema messages by field, in the UI language."""
    errors: dict[str, list[str]] = {}
    for key, message in flatten_messages(messages):
        errors.setdefault(key, []).append(message)
    return errors


@bp.app_template_global()
def help_category_label(category: Category) -> str:
    return category.label(ui_locale())


# ----- branding ------------------------------------------------------------------------------------------------------


@bp.app_template_global()
def help_branding() -> Branding:
    return current_branding()


@bp.app_template_global()
def help_center_name() -> str:
    return current_branding().name or _("Help center")


@bp.get("/logo")
def logo():
    """The uploaded logo; the pages ask for it with ?v=<when it changed>, so it may be cached for long."""
    found = uploaded_logo()
    if found is None:
        abort(404)
    data, content_type = found
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.after_app_request
def allow_the_logo_url(response: Response) -> Response:
    """A logo at another site is an image the Content-Security-Policy must allow, on the pages that show it."""
    if response.mimetype != "text/html" or "Content-Security-Policy" in response.headers:
        return response
    origin = current_branding().logo_origin
    if origin:
        policy = current_app.config["CONTENT_SECURITY_POLICY"]
        response.headers["Content-Security-Policy"] = with_image_source(policy, origin)
    return response


def with_image_source(policy: str, origin: str) -> str:
    """The policy with `origin` added to img-src (or to a new img-src that keeps default-src's sources)."""
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    for index, directive in enumerate(directives):
        if directive.split()[0] == "img-src":
            directives[index] = f"{directive} {origin}"
            return "; ".join(directives)
    default = next((d.split()[1:] for d in directives if d.split()[0] == "default-src"), ["'self'"])
    return "; ".join([*directives, " ".join(["img-src", *default, origin])])

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from records import audit
from records.db import db
from records.models import ApiToken
from records.people import authenticate
from records.schemas import TokenOutSchema, TokenRequestSchema
from web.auth import STAFF, bearer_token, hash_token, issue_token, roles_required, signed_in_user
from web.extensions import sign_in_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens for scripts and tools.")


@blp.route("/tokens")
class Tokens(MethodView):
    @sign_in_limit()
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenOutSchema)
    @blp.doc(security=[])
    def post(self, credentials: dict):
        """Exchange a username and password for a bearer token."""
        user = authenticate(credentials["username"], credentials["password"])
        if user is None:
            abort(401, message="Unknown username or wrong password.")
        token, record = issue_token(user)
        audit.log(user, "token.create", user)
        db.session.commit()
        return {
            "token": token,
            "token_type": "Bearer",
            "expires_at": record.expires_at.isoformat(timespec="seconds") + "Z",
            "user": user,
        }


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    decorators = [roles_required(*STAFF)]

    @blp.response(204)
    def delete(self):
        """Revoke the bearer token this request carries."""
        token = bearer_token()
        if token is None:
            abort(400, message="Send the token to revoke in the Authorization header.")
        db.session.execute(sa.update(ApiToken).where(ApiToken.token_hash == hash_token(token)).values(revoked=True))
        audit.log(signed_in_user(), "token.revoke", signed_in_user())
        db.session.commit()

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from records.db import db
from records.enums import Role
from records.models import User
from records.people import create_user
from records.schemas import UserInputSchema, UserOutSchema
from web.api.common import StaffView
from web.auth import roles_required, signed_in_user

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="People and roles (administrators).")


@blp.route("")
class Users(StaffView):
    @blp.response(200, UserOutSchema(many=True))
    def get(self):
        """Administrators see everyone; supervisors their team; others themselves."""
        user = signed_in_user()
        query = sa.select(User).order_by(User.username)
        if user.role == Role.SUPERVISOR:
            query = query.where(User.team_id == user.team_id)
        elif user.role != Role.ADMIN:
            query = query.where(User.id == user.id)
        return list(db.session.scalars(query))

    @roles_required(Role.ADMIN)
    @blp.arguments(UserInputSchema)
    @blp.response(201, UserOutSchema)
    def post(self, data: dict):
        user = create_user(data.pop("username"), by=signed_in_user(), **data)
        db.session.commit()
        return user


@blp.route("/me")
class Me(StaffView):
    @blp.response(200, UserOutSchema)
    def get(self):
        return signed_in_user()

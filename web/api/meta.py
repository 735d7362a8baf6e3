from __future__ import annotations

from flask_smorest import Blueprint

from records.operations import taxonomy
from web.api.common import StaffView

blp = Blueprint("meta", __name__, url_prefix="/api/v1", description="Vocabularies the record form uses.")


@blp.route("/taxonomy")
class TaxonomyView(StaffView):
    @blp.response(200)
    def get(self):
        """The two-level problem taxonomy with zh and en labels."""
        return taxonomy().as_dict()

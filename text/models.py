"""Tables of the text layer: sentence vectors cached by model and text."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from records.db import db
from records.timeutil import utcnow


class EmbeddingCache(db.Model):
    """Sentence vectors by model and text, so restarts and reindexing never encode the same text twice."""

    __tablename__ = "embedding_cache"
    __table_args__ = (sa.UniqueConstraint("model", "text_hash", name="uq_embedding_cache_model_text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(200))
    #: sha256 of the text as encoded.
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    #: float32 little-endian, normalised to unit length.
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

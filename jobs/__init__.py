"""Scheduled jobs: improvement reports, retention and index upkeep (see issue 6)."""

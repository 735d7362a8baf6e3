"""`consultkb kb gaps …`: refresh the knowledge gaps, list them."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

gaps_cli = AppGroup("gaps", help="Knowledge gaps: searches nobody found an answer to, grouped by meaning.")


@gaps_cli.command("refresh")
@click.option("--days", type=click.IntRange(1, 3650), help="Days of signals to group (default GAP_WINDOW_DAYS, 28).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def refresh_command(days: int | None, as_json: bool) -> None:
    """Group the zero-result searches, searches followed by a contact request, "not helpful" votes and empty
    agent-assist searches of the last days by meaning, and bring the gaps up to date (the nightly gap_refresh job
    does the same)."""
    from kb.gaps.refresh import GapRefreshConflict, run_gap_refresh

    try:
        summary = run_gap_refresh(days=days)
    except GapRefreshConflict as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    click.echo(
        f"{summary.signals} signals, {summary.groups} groups: {summary.new} new gaps, {summary.updated} updated, "
        f"{summary.reopened} reopened, {summary.suppressed} suppressed as not a gap; {summary.open} open gaps. "
        f"{summary.seconds:.1f} s."
    )


@gaps_cli.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "article", "alternative", "not_a_gap", "resolved", "all"]),
    default="open",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per gap.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
def list_command(status: str, as_json: bool, limit: int) -> None:
    """List gaps, most signals first."""
    from kb.gaps.models import GapStatus
    from kb.gaps.operations import GapFilters, list_gaps
    from kb.gaps.presenting import gap_dict

    gaps, total = list_gaps(GapFilters(status=None if status == "all" else GapStatus(status)), per_page=limit)
    for gap in gaps:
        if as_json:
            click.echo(json.dumps(gap_dict(gap), ensure_ascii=False, default=str))
            continue
        click.echo(
            f"#{gap.id:<5} {gap.status.value:<11} {gap.language.value} {gap.signal_count:4d} signals "
            f"({gap.recent_count} recent, {gap.previous_count} before)  {gap.title}"
        )
    if not as_json:
        click.echo(f"{len(gaps)} of {total} gap(s).")

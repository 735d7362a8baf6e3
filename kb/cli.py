"""`consultkb kb …`: import articles, search from the shell, rebuild the search index."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from kb.gaps.cli import gaps_cli
from kb.importing import import_articles, read_jsonl
from kb.search import SearchResponse, reindex_work, search_service

kb_cli = AppGroup("kb", help="Knowledge base: articles and search.")

_TAGS = re.compile(r"<[^>]+>")


def response_to_dict(response: SearchResponse) -> dict:
    return {
        "query": response.query,
        "results": [
            {
                "id": hit.article_id,
                "external_id": hit.external_id,
                "title": hit.title,
                "snippet": hit.snippet,
                "score": hit.score,
            }
            for hit in response.results
        ],
        "did_you_mean": response.did_you_mean,
        "mode": response.mode,
    }


@kb_cli.command("import-articles")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_articles_command(path: Path) -> None:
    """Import articles from JSON lines (title, body, alt_questions, category, tags, language, status, external_id).

    Re-importing updates articles by external_id (a new version when something changed). Exit code 1 if any line
    was rejected; nothing of a rejected line is written.
    """
    lines = list(read_jsonl(path))
    with click.progressbar(length=len(lines), label="Importing articles", file=sys.stderr) as bar:
        report = import_articles(lines, progress=bar.update)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged.")
    if report.rejected:
        click.secho(f"{len(report.rejected)} problem(s):", fg="red", err=True)
        for problem in report.rejected:
            where = f"line {problem['line']}" + (f", {problem['field']}" if problem["field"] else "")
            click.echo(f"  {where}: {problem['reason']}", err=True)
        sys.exit(1)


@kb_cli.command("search")
@click.argument("query", required=False)
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="One query per line.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Only articles in this language.")
@click.option("--category", help="Only articles in this category or subcategory (code).")
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True)
def search_command(query, queries, as_json, lang, category, limit) -> None:
    """Search published articles as customers do. With --queries, the model is loaded once for all lines."""
    if bool(query) == bool(queries):
        raise click.UsageError('Give either a QUERY or --queries FILE, e.g. consultkb kb search "忘记密码".')
    texts = [query] if query else [line.strip() for line in queries.read_text(encoding="utf-8").splitlines()]
    service = search_service()
    for text in texts:
        if not text:
            continue
        response = service.search(text, language=lang, category=category, limit=limit)
        if as_json:
            click.echo(json.dumps(response_to_dict(response), ensure_ascii=False))
            continue
        click.secho(f"{text}", bold=True)
        if response.did_you_mean:
            click.echo(f"  did you mean: {response.did_you_mean}")
        if not response.results:
            click.echo("  (no articles found)")
        for hit in response.results:
            click.echo(f"  {hit.score:7.3f}  #{hit.article_id} {hit.title}")
            click.echo(f"           {_TAGS.sub('', hit.snippet)}")


@kb_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index (and any missing vectors) from the database."""
    service = search_service()
    total = reindex_work()
    with click.progressbar(length=max(total, 1), label="Reindexing", file=sys.stderr) as bar:
        count = service.rebuild(progress=bar.update)
    click.echo(f"Indexed {count} published article(s).")


class StageBars:
    """One progress bar per stage of a long job (scrub, encode, group, draft), on stderr."""

    LABELS = {"scrub": "Scrubbing records", "encode": "Encoding", "group": "Grouping", "draft": "Drafting"}

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=self.LABELS.get(stage, stage), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@kb_cli.command("propose")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
def propose_command(as_json: bool) -> None:
    """Recompute the FAQ proposals from resolved records (new groups, growth, coverage by articles).

    Proposals whose records mostly stay keep their id and review state; rejected ones come back only after growing
    by PROPOSAL_REGROWTH_FACTOR. Nothing is written if the run fails or another refresh finished meanwhile.
    """
    from kb.proposal_engine import RefreshConflict, run_refresh

    bars = StageBars()
    try:
        summary = run_refresh(progress=bars, actor="cli")
    except RefreshConflict as error:
        bars.close()
        raise click.ClickException(str(error)) from error
    bars.close()
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    click.echo(
        f"{summary.records} resolved records, {summary.groups} groups: {summary.new} new, {summary.updated} updated, "
        f"{summary.reopened} reopened, {summary.obsolete} obsolete, {summary.covered} covered by articles; "
        f"{summary.open} open proposals. {summary.seconds:.1f} s (encoding {summary.encode_seconds:.1f} s)."
    )


@kb_cli.command("proposals")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per proposal, with its member external_ids.")
@click.option(
    "--status",
    type=click.Choice(["open", "approved", "rejected", "merged", "obsolete", "all"]),
    default="open",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
def proposals_command(as_json: bool, status: str, limit: int) -> None:
    """List proposals, highest impact first."""
    from kb.models import ProposalStatus
    from kb.presenting import proposal_dict
    from kb.proposals import ProposalFilters, list_proposals

    filters = ProposalFilters(status=None if status == "all" else ProposalStatus(status))
    proposals, total = list_proposals(filters, per_page=limit)
    for proposal in proposals:
        if as_json:
            click.echo(json.dumps(proposal_dict(proposal, members=True), ensure_ascii=False, default=str))
            continue
        click.echo(
            f"#{proposal.id:<5} {proposal.status.value:<8} {proposal.kind.value:<6} impact {proposal.impact:8.1f}  "
            f"{proposal.record_count:4d} records  {proposal.title}"
        )
    if not as_json:
        click.echo(f"{len(proposals)} of {total} proposal(s).")


kb_cli.add_command(gaps_cli)

"""``teikit register``: propose registers for the mentions that have none (issue 7)."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.options import (
    OutputFile,
    config_option,
    folder_filters,
    format_option,
    index_option,
    refuse_inputs,
)
from teikit.cli.reading import read_options
from teikit.cli.streams import open_output
from teikit.entities import PROPOSED_KINDS
from teikit.entities.proposal_formats import REGISTER_FORMATS, register_format
from teikit.kinds import parse_kinds
from teikit.output import is_stdout


def _kinds(only: str | None) -> tuple[str, ...]:
    """Return the kinds named by ``--only`` (``persons,places`` or ``person,place``)."""
    names = [n.strip().lower() for n in (only or "person,place,org").split(",") if n.strip()]
    unknown = [n for n in names if not _known(n)]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from persons, places, orgs",
            param_hint="'--only'",
        )
    return parse_kinds(names, PROPOSED_KINDS)


def _known(name: str) -> bool:
    try:
        parse_kinds([name], PROPOSED_KINDS)
    except ValueError:
        return False
    return True


@click.group()
def register() -> None:
    """Build registers (listPerson, listPlace, listOrg) for TEI documents.

    \b
    Example:
        teikit register build letters/ -o proposed-register.xml
    """


@register.command("build")
@read_options
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=OutputFile(),
    help="Write the proposal to FILE (atomically); new @ref values point into it. "
    "- is stdout (new @ref values are then #id).",
)
@format_option(REGISTER_FORMATS.names(), more="json for -o *.json, else tei (for review)")
@index_option(", and whose entries are kept")
@folder_filters
@click.option("--only", metavar="KINDS", help="Comma-separated: persons, places, orgs.")
@click.option("--text-only", is_flag=True, help="Leave out mentions in the teiHeader.")
@config_option
def build(
    paths: tuple[str, ...],
    output: Path,
    fmt: str | None,
    indexes: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    only: str | None,
    text_only: bool,
    config: Path | None,
) -> None:
    """Propose one register entry per person, place and org of PATHS that has none.

    PATHS are TEI files, folders or glob patterns. A mention needs an entry when it has
    no @ref or one that points nowhere. The proposal (entries and @ref rewrites) goes to
    -o, findings and the summary to stderr. Exit code 0 whatever is proposed; 1 when a
    file could not be read (the others are still used). See docs/entities.md.

    \b
    Example:
        teikit register build letters/ --index indices/listperson.xml -o register.xml
    """
    from teikit.config import configs_for
    from teikit.entities import expand_paths, mention_table_for, propose_register
    from teikit.render.progress import progress_bar

    kinds = _kinds(only)
    spec = register_format(fmt, output)
    sources = expand_paths(paths, include=include, exclude=exclude)  # missing: exit 3
    refuse_inputs(output, sources, indexes, configs_for(sources, config)[0])
    to_stdout = is_stdout(output)
    with progress_bar("register", enabled=len(sources) > 1) as progress:
        proposal = propose_register(
            sources,
            indexes=indexes,
            kinds=kinds,
            register_path=None if to_stdout else spec.register_path(output),
            text_only=text_only,
            mentions=mention_table_for(sources, config),
            progress=progress,
        )
    wrote = bool(proposal.documents or not proposal.failed)  # none read: nothing to propose
    if wrote:
        with open_output(None if to_stdout else output) as stream:
            spec.write(proposal, stream)
    for diagnostic in proposal.report:  # a pointer to nothing is what gets rewritten
        if diagnostic.code != "entity.unresolved-ref":
            click.echo(str(diagnostic.escaped()), err=True)
    target = "stdout" if to_stdout else output
    click.echo(f"{proposal.summary()}; {f'wrote {target}' if wrote else 'wrote nothing'}", err=True)
    if proposal.failed:  # a finding about those files, as in `teikit entities`: exit 1
        click.secho(
            f"error summary: {len(proposal.failed)} file(s) could not be read and were left out",
            err=True,
            fg="red",
        )
        raise SystemExit(EXIT_FINDINGS)

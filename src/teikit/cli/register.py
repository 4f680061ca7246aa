"""``teikit register``: propose registers for the mentions that have none (issue 7)."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.checking import folder_filters
from teikit.entities.proposal_formats import REGISTER_FORMATS, register_format
from teikit.output import atomic_open, check_not_input

_KINDS = {"person": "person", "place": "place", "org": "org"}


def _kinds(only: str | None) -> tuple[str, ...]:
    """Return the kinds named by ``--only`` (``persons,places`` or ``person,place``)."""
    names = [n.strip().lower() for n in (only or "person,place,org").split(",") if n.strip()]
    unknown = [n for n in names if n.removesuffix("s") not in _KINDS]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from persons, places, orgs",
            param_hint="'--only'",
        )
    return tuple(_KINDS[n.removesuffix("s")] for n in names)


@click.group()
def register() -> None:
    """Build registers (listPerson, listPlace, listOrg) for TEI documents.

    \b
    Example:
        teikit register build letters/ -o proposed-register.xml
    """


@register.command("build")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the proposal to FILE (atomically); new @ref values point into it.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(sorted(REGISTER_FORMATS)),
    help="tei (for review) or json (for scripts).  [default: json for -o *.json, else tei]",
)
@click.option(
    "--index",
    "indexes",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A register file searched for #id pointers (repeatable); its entries are kept.",
)
@folder_filters
@click.option("--only", metavar="KINDS", help="Comma-separated: persons, places, orgs.")
@click.option("--text-only", is_flag=True, help="Leave out mentions in the teiHeader.")
def build(
    paths: tuple[str, ...],
    output: Path,
    fmt: str | None,
    indexes: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    only: str | None,
    text_only: bool,
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
    from teikit.entities import expand_paths, load_mention_table, propose_register
    from teikit.render.progress import per_document, progress_bar

    kinds = _kinds(only)
    spec = register_format(fmt, output)
    sources = expand_paths(paths, include=include, exclude=exclude)  # missing: exit 3
    check_not_input(output, [*sources, *indexes])
    with progress_bar("register", enabled=len(sources) > 1) as progress:
        proposal = propose_register(
            sources,
            indexes=indexes,
            kinds=kinds,
            register_path=spec.register_path(output),
            text_only=text_only,
            mentions=load_mention_table(),
            on_document=per_document(progress, len(sources)),
        )
    if proposal.documents or not proposal.failed:  # no document read: nothing to propose
        with atomic_open(output) as stream:
            spec.write(proposal, stream)
    for diagnostic in proposal.report:  # a pointer to nothing is what gets rewritten
        if diagnostic.code != "entity.unresolved-ref":
            click.echo(str(diagnostic), err=True)
    written = f"wrote {output}" if proposal.documents or not proposal.failed else "wrote nothing"
    click.echo(f"{proposal.summary()}; {written}", err=True)
    if proposal.failed:  # a finding about those files, as in `teikit entities`: exit 1
        click.secho(
            f"error summary: {len(proposal.failed)} file(s) could not be read and were left out",
            err=True,
            fg="red",
        )
        raise SystemExit(EXIT_FINDINGS)

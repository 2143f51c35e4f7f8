"""The agreement report as Rich tables for the terminal (its rows: report/model.py)."""

from __future__ import annotations

from rich.table import Table

from curate.agreement.figures import AgreementReport
from curate.report.model import RELEASED, UNITIZED, Section, sections, text


def tables(report: AgreementReport) -> list[Table]:
    """Every section but the αu one (its figures are columns of the entity tables here) and a
    release's comparison."""
    left_out = {UNITIZED, RELEASED}
    return [_table(section) for section in sections(report) if section.key not in left_out]


def _table(section: Section) -> Table:
    table = Table(*section.headers, title=section.title, caption=section.note)
    for row in section.rows:
        table.add_row(*map(text, row))
    if section.total is not None:
        table.add_row(*map(text, section.total), style="bold")
    return table

"""The official statistical forms (专月表 and the tables bureaus publish): the one door of the forms room.

A form is a YAML file (forms/files/, or a bureau's own file) naming its header block, rows, columns and
notes; `compute_form` fills it for a region and a period from the warehouse, `cell_records` gives the
patents behind any cell, and `write_form` renders it as xlsx, docx or csv with the form's merged headers.
"""

from __future__ import annotations

from pathlib import Path

from hvpatent.forms.engine import (
    NATIONAL,
    PLACEHOLDERS,
    Cell,
    FormResult,
    FormRow,
    cell_records,
    compute_form,
    sub_regions,
)
from hvpatent.forms.period import Period, PeriodError, parse_period
from hvpatent.forms.render import FORMATS, Block, Grid, layout, write_form
from hvpatent.forms.spec import FormError, FormSpec, builtin_forms, load_form_file

__all__ = [
    "FORMATS",
    "NATIONAL",
    "PLACEHOLDERS",
    "Block",
    "Cell",
    "FormError",
    "FormResult",
    "FormRow",
    "FormSpec",
    "Grid",
    "Period",
    "PeriodError",
    "cell_records",
    "compute_form",
    "find_form",
    "layout",
    "list_forms",
    "parse_period",
    "sub_regions",
    "write_form",
]


def list_forms(extra_dir: Path | None = None) -> list[FormSpec]:
    """The shipped forms, and a bureau's own from ``extra_dir`` (the same key replaces a shipped form)."""
    forms = {f.key: f for f in builtin_forms()}
    if extra_dir is not None and extra_dir.is_dir():
        forms.update({f.key: f for f in (load_form_file(p) for p in sorted(extra_dir.glob("*.yaml")))})
    return list(forms.values())


def find_form(name: str, extra_dir: Path | None = None) -> FormSpec:
    """A form by key, or from a YAML file path; FormError lists the keys when none matches."""
    path = Path(name)
    if name.endswith((".yaml", ".yml")) and path.is_file():
        return load_form_file(path)
    forms = list_forms(extra_dir)
    found = next((f for f in forms if f.key == name), None)
    if found is None:
        raise FormError(f"没有表式「{name}」；可用：{', '.join(f.key for f in forms)} / no such form")
    return found

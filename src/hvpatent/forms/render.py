"""A filled form as the bureau sends it: xlsx and docx with the form's merged multi-level headers, header
block and notes; csv with one header line per level.  Text cells pass through reports/safe_cells, so no
applicant name or region label reaches a spreadsheet as a live formula."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hvpatent.forms.engine import DEFAULT_DECIMALS, FormResult
from hvpatent.reports.safe_cells import clean_text, neutralise, safe_row

FORMATS = ("xlsx", "docx", "csv")
NUMBER_FORMATS = ("count", "rank", "population", "per_10k", "entities", "per_10k_entities")


@dataclass(frozen=True)
class Block:
    """A rectangle of the table grid (inclusive, 0-based) holding one text or number."""
    r0: int
    c0: int
    r1: int
    c1: int
    text: str
    kind: str  # head | label | data
    value: float | None = None
    number_format: str | None = None


@dataclass(frozen=True)
class Grid:
    rows: int
    cols: int
    header_rows: int
    label_cols: int
    blocks: list[Block]


def layout(result: FormResult, lang: str = "zh") -> Grid:
    """The table as merged blocks: the row-header corner, the column headers (a label shared by neighbouring
    columns is one block; a short label path reaches down to the data), the row labels (a group label spans
    its rows) and one block per data cell."""
    spec = result.spec
    depth = max(len(c.labels) for c in spec.columns)
    label_cols = max([len(r.labels) for r in result.rows] + [1])
    blocks: list[Block] = []
    corner = " ".join(t(lang) for t in spec.row_header)
    blocks.append(Block(0, 0, depth - 1, label_cols - 1, corner, "head"))
    blocks += _column_heads(result, lang, depth, label_cols)
    blocks += _row_labels(result, lang, depth, label_cols)
    for i, row in enumerate(result.rows):
        for j, col in enumerate(spec.columns):
            cell = result.cells[(row.key, col.key)]
            fmt, digits = None, col.decimals if col.decimals is not None else DEFAULT_DECIMALS[col.kind]
            if cell.value is not None and col.kind in NUMBER_FORMATS:
                fmt = _decimals_format(digits)
            elif cell.value is not None and col.kind == "share" and cell.text.endswith("%"):
                fmt = _decimals_format(digits) + '"%"'
            # the number as printed: the form's published figure, which the ranks were given on
            value = round(cell.value, digits) if fmt else None
            blocks.append(Block(depth + i, label_cols + j, depth + i, label_cols + j, cell.text, "data", value, fmt))
    return Grid(depth + len(result.rows), label_cols + len(spec.columns), depth, label_cols, blocks)


def _decimals_format(digits: int) -> str:
    return "0" if digits == 0 else "0." + "0" * digits


def _column_heads(result: FormResult, lang: str, depth: int, label_cols: int) -> list[Block]:
    columns = result.spec.columns
    paths = [tuple(t(lang) for t in c.labels) for c in columns]
    blocks = []
    for level in range(depth):
        j = 0
        while j < len(columns):
            if level >= len(paths[j]):
                j += 1
                continue
            end = j
            while (end + 1 < len(columns) and len(paths[end + 1]) > level
                   and paths[end + 1][:level + 1] == paths[j][:level + 1]):
                end += 1
            # the last label of every column in the block reaches down to the data
            leaf = all(len(p) == level + 1 for p in paths[j:end + 1])
            bottom = depth - 1 if leaf else level
            blocks.append(Block(level, label_cols + j, bottom, label_cols + end, paths[j][level], "head"))
            j = end + 1
    # A column whose labels end above a level its neighbours under the same group still have (当月授权量 over
    # 合计, 发明 …, the column of the group's own total): its last label's cell reaches down to the data.
    covered = {(r, c) for b in blocks for r in range(b.r0, b.r1 + 1) for c in range(b.c0, b.c1 + 1)}
    for j in range(len(columns)):
        free = [level for level in range(depth) if (level, label_cols + j) not in covered]
        if free:
            blocks.append(Block(free[0], label_cols + j, depth - 1, label_cols + j, "", "head"))
    return blocks


def _row_labels(result: FormResult, lang: str, depth: int, label_cols: int) -> list[Block]:
    paths = [tuple(t(lang) for t in r.labels) for r in result.rows]
    blocks = []
    for level in range(label_cols):
        i = 0
        while i < len(paths):
            if level >= len(paths[i]):
                i += 1
                continue
            end = i
            last = level == len(paths[i]) - 1
            while not last and end + 1 < len(paths) and paths[end + 1][:level + 1] == paths[i][:level + 1]:
                end += 1
            right = label_cols - 1 if last else level  # the last label of a short path fills to the data
            blocks.append(Block(depth + i, level, depth + end, right, paths[i][level], "label"))
            i = end + 1
    return blocks


def _header_lines(result: FormResult, lang: str) -> list[str]:
    items = result.header_block(lang)
    sep = "：" if lang == "zh" else ": "
    return ["    ".join(f"{label}{sep}{value}" for label, value in items)]


def _note_lines(result: FormResult, lang: str) -> list[str]:
    lead = "注：" if lang == "zh" else "Notes: "
    return [(lead if i == 0 else "") + f"{i + 1}. {n(lang)}" for i, n in enumerate(result.notes)]


# -- writers ---------------------------------------------------------------------------------------------
def write_form(result: FormResult, fmt: str, lang: str = "zh") -> bytes:
    if fmt == "xlsx":
        return _xlsx(result, lang)
    if fmt == "docx":
        return _docx(result, lang)
    if fmt == "csv":
        return _csv(result, lang)
    raise ValueError(f"格式应为 {' | '.join(FORMATS)} / format must be one of {', '.join(FORMATS)}")


def _xlsx(result: FormResult, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from hvpatent.reports.safe_cells import sheet_title

    grid = layout(result, lang)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(result.spec.title(lang))
    width = grid.cols
    top = [result.spec.title(lang), *_header_lines(result, lang)]
    for r, text in enumerate(top, 1):
        sheet.cell(r, 1, neutralise(text))
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        sheet.cell(r, 1).alignment = Alignment(horizontal="center" if r == 1 else "left")
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    offset = len(top) + 1
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for b in grid.blocks:
        cell = sheet.cell(offset + b.r0, 1 + b.c0)
        if b.value is not None:
            cell.value = b.value
            cell.number_format = b.number_format
        else:
            # a data cell's text is the engine's own ("-", "100/88.2"): nothing to neutralise, and "-" must stay
            cell.value = clean_text(b.text) if b.kind == "data" else neutralise(b.text)
            cell.data_type = "s"
        cell.alignment = Alignment(horizontal="center" if b.kind != "label" else "left", vertical="center",
                                   wrap_text=b.kind == "head")
        if b.kind == "head":
            cell.font = Font(bold=True)
        if (b.r0, b.c0) != (b.r1, b.c1):
            sheet.merge_cells(start_row=offset + b.r0, start_column=1 + b.c0, end_row=offset + b.r1,
                              end_column=1 + b.c1)
        for r in range(b.r0, b.r1 + 1):
            for c in range(b.c0, b.c1 + 1):
                sheet.cell(offset + r, 1 + c).border = border
    last = offset + grid.rows
    for i, line in enumerate(_note_lines(result, lang)):
        sheet.cell(last + 1 + i, 1, neutralise(line))
        sheet.merge_cells(start_row=last + 1 + i, start_column=1, end_row=last + 1 + i, end_column=width)
    sheet.column_dimensions["A"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx(result: FormResult, lang: str) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    grid = layout(result, lang)
    doc = Document()
    if grid.cols > 8:  # wide forms are printed on landscape pages, as the bureaus print them
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(clean_text(result.spec.title(lang)))
    run.bold, run.font.size = True, Pt(14)
    for line in _header_lines(result, lang):
        doc.add_paragraph(clean_text(line))
    table = doc.add_table(rows=grid.rows, cols=grid.cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for b in grid.blocks:
        cell = table.cell(b.r0, b.c0)
        if (b.r0, b.c0) != (b.r1, b.c1):
            cell = cell.merge(table.cell(b.r1, b.c1))
        cell.text = clean_text(b.text)
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if b.kind == "label" else WD_ALIGN_PARAGRAPH.CENTER
            for r in paragraph.runs:
                r.font.size = Pt(9)
                r.bold = b.kind == "head"
    for line in _note_lines(result, lang):
        doc.add_paragraph(clean_text(line))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _csv(result: FormResult, lang: str) -> bytes:
    """The header block, one line per header level (a merged label repeated over its columns), the rows as
    printed, and the notes; UTF-8 with a byte-order mark so that Excel opens the Chinese text correctly."""
    grid = layout(result, lang)
    lines: list[list[str]] = [[result.spec.title(lang)]]
    lines += [[f"{label}", f"{value}"] for label, value in result.header_block(lang)]
    lines.append([])
    lines = [safe_row(line) for line in lines]
    table = [["" for _ in range(grid.cols)] for _ in range(grid.rows)]
    for b in grid.blocks:
        # labels may come from a bureau's form file or the divisions: neutralised; data texts are the engine's
        text = clean_text(b.text) if b.kind == "data" else neutralise(b.text)
        for r in range(b.r0, b.r1 + 1):
            for c in range(b.c0, b.c1 + 1):
                table[r][c] = text
    lines += table
    lines.append([])
    lines += [safe_row([line]) for line in _note_lines(result, lang)]
    out = io.StringIO()
    writer = csv.writer(out)
    for line in lines:
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

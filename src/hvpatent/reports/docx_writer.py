"""The bulletin as a Word document: the layout of a government bulletin (title, issuing unit and
date, sections 一、二、三…, charts and tables, appendix)."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from hvpatent.reports.bulletin import Bulletin, Table
from hvpatent.reports.safe_cells import clean_text

BODY_FONT, TITLE_FONT, HEADING_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体"


def _font(run, family: str, size: float, bold: bool = False) -> None:
    run.font.name = family
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word picks Chinese glyphs from the East Asian font slot, which font.name does not set.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), family)


def _paragraph(doc, text: str, family: str = BODY_FONT, size: float = 16, bold: bool = False,
               align=None, indent: bool = True):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    _font(p.add_run(clean_text(text)), family, size, bold)  # a NUL in a name must not fail the document
    return p


def cell_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return clean_text(str(value))


def _table(doc, table: Table) -> None:
    _paragraph(doc, table.title, HEADING_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, (_, header) in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(clean_text(header)), HEADING_FONT, 10.5, True)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, (key, _) in zip(cells, table.columns, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(cell_text(row.get(key))), BODY_FONT, 10.5)
    if table.note:
        _paragraph(doc, "注：" + table.note, BODY_FONT, 10.5, indent=False)


def write_docx(bulletin: Bulletin, path: Path) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)   # A4, GB/T 9704 margins
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _paragraph(doc, bulletin.title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{bulletin.issuer}　　{bulletin.issued_on.year}年{bulletin.issued_on.month}月"
                    f"{bulletin.issued_on.day}日", BODY_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"（数据截至{bulletin.as_of.isoformat()}）", BODY_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER,
               indent=False)
    if bulletin.notice:
        _paragraph(doc, bulletin.notice, HEADING_FONT, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    for sec in bulletin.sections:
        _paragraph(doc, sec.heading, HEADING_FONT, 16, indent=True)
        for text in sec.paragraphs:
            _paragraph(doc, text)
        for chart in sec.charts:
            doc.add_picture(io.BytesIO(chart.png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _paragraph(doc, chart.title, BODY_FONT, 10.5, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        for table in sec.tables:
            _table(doc, table)
    _paragraph(doc, "附录：指标说明与数据来源", HEADING_FONT, 16, indent=False)
    for name, definition in bulletin.appendix:
        _paragraph(doc, f"{name}：{definition}", BODY_FONT, 12)
    for source in bulletin.sources:
        _paragraph(doc, source, BODY_FONT, 12)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path

"""xlsx reading benchmark: generate an export-like workbook of N rows (application number, dates, title,
applicant, address, IPC, publication number, a 250-character abstract, a count, a legal status), then time
the hostile-file scan and the reading of every row through each path -- calamine (the whole sheet at
once, under limits.XLSX_CALAMINE_MAX_BYTES) and openpyxl (streaming) -- each in a fresh process,
printing seconds and the peak memory it added (RSS).

    python bench/xlsx_read_bench.py --rows 30000 --layout openpyxl   # inline strings, as openpyxl writes
    python bench/xlsx_read_bench.py --rows 30000 --layout excel      # shared strings, as Excel writes
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["申请号", "申请日", "名称", "申请(专利权)人", "地址", "主分类号", "公开(公告)号", "公开(公告)日", "摘要",
          "权利要求数", "法律状态"]
_EPOCH = datetime(1899, 12, 30)


def _rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    words = ["".join(rng.choice(cjk) for _ in range(rng.randint(2, 4))) for _ in range(3000)]

    def text(k: int) -> str:
        s = ""
        while len(s) < k:
            s += rng.choice(words)
        return s[:k]

    towns = [text(6) for _ in range(200)]
    names = [text(8) + "有限公司" for _ in range(2000)]
    yield HEADER
    for i in range(n):
        filed = datetime(2015, 1, 1) + timedelta(days=rng.randrange(3000))
        yield [f"2019{i:08d}.{i % 10}", filed, "一种" + text(12), rng.choice(names), "重庆市" + rng.choice(towns),
               f"H01M{rng.randrange(99)}/{rng.randrange(99)}", f"CN{rng.randrange(10**8)}A",
               filed + timedelta(days=500), text(250), rng.randrange(1, 20), rng.choice(["有效", "失效", "审中"])]


def _write_openpyxl(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("专利")
    for row in _rows(n):
        ws.append(row)
    wb.save(path)


_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_PKG = "http://schemas.openxmlformats.org/package/2006/"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_ML = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def _write_excel(path: Path, n: int) -> None:
    """Shared strings and dates as serial numbers with a date style, as Excel saves a workbook."""
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}><sheetData>'.encode())
            for r, row in enumerate(_rows(n), 1):
                cells = []
                for value in row:
                    if isinstance(value, datetime):
                        cells.append(f'<c s="1"><v>{(value - _EPOCH).days}</v></c>')
                    elif isinstance(value, int):
                        cells.append(f"<c><v>{value}</v></c>")
                    else:
                        cells.append(f'<c t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
                fh.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        zf.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst {_NS} '
                                            f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
        zf.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {_NS}><fonts count="1">'
                                     '<font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>'
                                     '</fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/>'
                                     '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" '
                                     'applyNumberFormat="1"/></cellXfs></styleSheet>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS}><sheets>'
                                       '<sheet name="专利" sheetId="1" r:id="rId1"/></sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_DOC}{kind}" Target="{target}"/>' for i, kind, target in
                       [(1, "worksheet", "worksheets/sheet1.xml"), (2, "sharedStrings", "sharedStrings.xml"),
                        (3, "styles", "styles.xml")])
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PKG}relationships">{rels}</Relationships>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{_PKG}relationships"><Relationship Id="rId1" '
                                   f'Type="{_DOC}officeDocument" Target="xl/workbook.xml"/></Relationships>')
        overrides = "".join(f'<Override PartName="/xl/{part}" ContentType="{_ML}{kind}+xml"/>' for part, kind in
                            [("workbook.xml", "sheet.main"), ("worksheets/sheet1.xml", "worksheet"),
                             ("sharedStrings.xml", "sharedStrings"), ("styles.xml", "styles")])
        zf.writestr("[Content_Types].xml", f'<Types xmlns="{_PKG}content-types"><Default Extension="rels" '
                                           f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                                           f'<Default Extension="xml" ContentType="application/xml"/>{overrides}'
                                           "</Types>")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(path: str, phase: str, queue) -> None:
    from hvpatent.ingest import limits, readers

    known = {readers.header_key(h) for h in HEADER}
    if phase == "openpyxl":
        limits.XLSX_CALAMINE_MAX_BYTES = 0
    if phase != "scan":
        readers.check_xlsx(Path(path))  # scanned already: only the reading is timed
    if phase == "head-openpyxl":
        limits.XLSX_CALAMINE_MAX_BYTES = 0
    base = _peak_mib()
    start = time.perf_counter()
    if phase == "scan":
        result = readers.check_xlsx(Path(path))
    elif phase.startswith("head"):
        result = len(readers.head_rows(Path(path)))
    else:
        readers.head_rows(Path(path))
        result = sum(len(frame) for frame, _ in readers.read_chunks(Path(path), known))
    queue.put((time.perf_counter() - start, _peak_mib() - base, result))


def _run(path: Path, phase: str):
    queue = mp.Queue()
    proc = mp.Process(target=_phase, args=(str(path), phase, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def readers_head() -> int:
    from hvpatent.ingest import readers

    return readers._HEADER_SCAN_ROWS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--layout", choices=["openpyxl", "excel"], default="openpyxl")
    parser.add_argument("--file", default=None, help="read this xlsx instead of generating one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.file) if args.file else Path(tmp) / f"export_{args.layout}.xlsx"
        if not args.file:
            start = time.perf_counter()
            (_write_openpyxl if args.layout == "openpyxl" else _write_excel)(path, args.rows)
            print(f"generated in {time.perf_counter() - start:.1f} s", flush=True)
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(m.file_size for m in zf.infolist())
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB, {unpacked / 2**20:.1f} MiB unpacked", flush=True)
        seconds, mib, scan = _run(path, "scan")
        print(f"scan          {seconds:6.2f} s  +{mib:5.0f} MiB  sheet {scan.sheet!r}, "
              f"calamine estimate {scan.estimate / 2**20:.0f} MiB", flush=True)
        for phase in ("head", "head-openpyxl"):
            seconds, mib, _ = _run(path, phase)
            print(f"{phase:13} {seconds:6.2f} s  +{mib:5.0f} MiB  (the first {readers_head()} rows)", flush=True)
        for phase in ("calamine", "openpyxl"):
            seconds, mib, rows = _run(path, phase)
            print(f"{phase:13} {seconds:6.2f} s  +{mib:5.0f} MiB  {rows:,} rows (head rows, every chunk)",
                  flush=True)


if __name__ == "__main__":
    main()

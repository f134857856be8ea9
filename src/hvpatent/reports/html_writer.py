"""The bulletin as one self-contained HTML page (charts inlined), and as PDF printed from that page
by headless Chromium, so the PDF looks exactly like the page and uses the machine's CJK fonts."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from hvpatent.reports.bulletin import Bulletin
from hvpatent.reports.docx_writer import cell_text

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class ChromiumMissing(RuntimeError):
    pass


def render_html(bulletin: Bulletin) -> str:
    env = Environment(loader=PackageLoader("hvpatent.reports", "templates"), autoescape=select_autoescape())
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.filters["cell"] = cell_text
    return env.get_template("bulletin.html.j2").render(b=bulletin)


def write_html(bulletin: Bulletin, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(bulletin), encoding="utf-8")
    return path


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise ChromiumMissing("生成 PDF 需要 Chromium：apt-get install chromium（或运行 make）/ PDF needs Chromium")


def write_pdf(bulletin: Bulletin, path: Path) -> Path:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hvpatent-pdf-") as tmp:
        page = write_html(bulletin, Path(tmp) / "bulletin.html")
        # Flags: no sandbox (root in containers), and no background traffic: nothing leaves the machine.
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                   f"--print-to-pdf={path}", page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        if done.returncode != 0 or not path.exists():
            raise RuntimeError(f"Chromium 打印 PDF 失败 / Chromium could not print the PDF: {done.stderr[-500:]}")
    return path

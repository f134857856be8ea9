"""Report attachments (tasks/attachments.py): good files of each kind pass with their media type and digest; every
hostile file, built here and kept tiny, is refused with a message naming the file and the reason in both languages;
memory stays bounded on zip bombs; no input ends in anything but a CheckedFile or an AttachmentError."""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import struct
import tracemalloc
import zipfile
import zlib

import docx
import openpyxl
import pytest
from PIL import Image

from hvpatent.tasks.attachments import AttachmentError, CheckedFile, check_attachment, check_attachments, safe_name
from hvpatent.tasks.config import config_from

MIB = 1 << 20
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


# ------------------------------------------------------------------------------------------------ good files

@pytest.fixture(scope="module")
def good() -> dict[str, bytes]:
    document = docx.Document()
    document.add_paragraph("专利质押融资工作进展：本季度完成 3 笔。")
    docx_out = io.BytesIO()
    document.save(docx_out)
    book = openpyxl.Workbook()
    book.active.append(["指标", "数值"])
    book.active.append(["质押金额（万元）", 1200])
    xlsx_out = io.BytesIO()
    book.save(xlsx_out)
    images = {}
    for fmt in ("PNG", "JPEG"):
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 30)).save(out, fmt)
        images[fmt] = out.getvalue()
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([1, 2, 3])
    pdf_out = io.BytesIO()
    figure.savefig(pdf_out, format="pdf")
    return {"docx": docx_out.getvalue(), "xlsx": xlsx_out.getvalue(), "png": images["PNG"],
            "jpeg": images["JPEG"], "pdf": pdf_out.getvalue(), "handpdf": pdf()}


def pdf(*objects: bytes, tail: bytes = b"%%EOF\n") -> bytes:
    """A small PDF by hand: a catalog, the given objects, a trailer."""
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n, o) for n, o in enumerate(objects, start=3))
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" + body
            + b"trailer\n<< /Root 1 0 R >>\n" + tail)


@pytest.mark.parametrize(("name", "key", "kind", "media"), [
    ("进展报告.docx", "docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("数据.xlsx", "xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("照片.PNG", "png", "png", "image/png"),
    ("照片.jpg", "jpeg", "jpeg", "image/jpeg"),
    ("照片.jpeg", "jpeg", "jpeg", "image/jpeg"),
    ("图表.pdf", "pdf", "pdf", "application/pdf"),
    ("手写.pdf", "handpdf", "pdf", "application/pdf"),
])
def test_good_files_pass_with_kind_media_type_and_digest(good, name, key, kind, media):
    data = good[key]
    checked = check_attachment(name, data)
    assert checked == CheckedFile(name, kind, media, len(data), hashlib.sha256(data).hexdigest(), data)


# ------------------------------------------------------------------------------------------------ names

@pytest.mark.parametrize(("given", "safe"), [
    ("../../x.pdf", "x.pdf"),
    ("..\\..\\windows\\x.pdf", "x.pdf"),
    ("/etc/x.pdf", "x.pdf"),
    ("re\x00po\x1brt\x7f.pdf", "report.pdf"),
    ("report\u202efdp.exe", "reportfdp.exe"),          # a right-to-left override hiding .exe
    ("a\u200bb.pdf", "ab.pdf"),                          # zero-width space
    ('季度"报告"?.pdf', "季度_报告__.pdf"),
    ("  .hidden.pdf ", "hidden.pdf"),
    ("x" * 200 + ".pdf", "x" * 116 + ".pdf"),
    ("../..", ""),
    ("", ""),
    ("\x00\x01", ""),
])
def test_safe_name(given, safe):
    assert safe_name(given) == safe
    assert len(safe_name(given)) <= 120


def test_path_and_control_characters_are_stripped_from_an_accepted_file(good):
    assert check_attachment("../../x.pdf", good["handpdf"]).file_name == "x.pdf"
    assert check_attachment("a\x1b[31m\n.pdf", good["handpdf"]).file_name == "a[31m.pdf"


def refused(name: str, data: bytes, *words: str, config=None) -> str:
    """Check that the file is refused, the message names it (made safe) and holds each of ``words``."""
    with pytest.raises(AttachmentError) as caught:
        check_attachment(name, data, config)
    message = str(caught.value)
    shown = safe_name(name) or "（无名）"
    assert message.startswith(f"附件 {shown}：") or message.startswith("附件（无名）"), message
    assert " / attachment " in message, message
    for word in words:
        assert word in message, (word, message)
    return message


def test_empty_name_is_refused(good):
    refused("", good["handpdf"], "文件名为空", "file name is empty")
    refused("../", good["handpdf"], "文件名为空", "file name is empty")


@pytest.mark.parametrize("name", ["x.exe", "x.docm", "x.xlsm", "x", "x.pdf.exe", "x.gif", "x.svg", "x.html"])
def test_types_not_accepted(good, name):
    refused(name, good["handpdf"], "不接受此类型", "not accepted", ".docx")


def test_a_kind_the_settings_leave_out_is_refused(good):
    refused("a.png", good["png"], "不接受此类型（.png）", "accepted: .pdf", config={"kinds": ["pdf"]})
    assert check_attachment("a.pdf", good["handpdf"], {"kinds": ["pdf"]}).kind == "pdf"
    settings = config_from({"attachments": {"kinds": ["pdf", "png"]}}, "test.yaml")   # a TasksConfig
    refused("a.jpg", good["jpeg"], "accepted: .pdf、.png", config=settings)
    assert check_attachment("a.png", good["png"], settings).kind == "png"


# ------------------------------------------------------------------------------------------------ size

def test_empty_file_is_refused():
    refused("空.pdf", b"", "文件为空", "the file is empty")


def padded_pdf(size: int) -> bytes:
    """A valid hand-made PDF of exactly ``size`` bytes (a comment line pads it)."""
    base = pdf()
    padded = base.replace(b"trailer", b"%" + b"p" * (size - len(base) - 2) + b"\ntrailer")
    assert len(padded) == size
    return padded


def test_file_size_boundary():
    limit = {"max_file_mib": 1}
    assert check_attachment("a.pdf", padded_pdf(MIB - 1), limit).size_bytes == MIB - 1
    assert check_attachment("a.pdf", padded_pdf(MIB), limit).size_bytes == MIB
    refused("a.pdf", padded_pdf(MIB + 1), "文件过大", "too large", "at most 1 MiB", config=limit)


# ------------------------------------------------------------------------------------------------ programs

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + \
    b"\x00" * 64 + b"PE\x00\x00L\x01"


@pytest.mark.parametrize(("name", "data", "zh", "en"), [
    ("x.pdf", PE + b"%PDF-1.4\n%%EOF\n", "Windows 可执行文件", "Windows executable"),
    ("x.docx", PE, "Windows 可执行文件", "Windows executable"),
    ("x.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, "ELF", "ELF"),
    ("x.png", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24, "Mach-O", "Mach-O"),
    ("x.xlsx", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 24, "Java", "Java class"),
    ("x.pdf", b"#!/bin/sh\n# %PDF-1.4\nrm -rf ~\n# %%EOF\n", "脚本", "script"),
    ("x.pdf", b"\xef\xbb\xbf @ECHO OFF\r\ndel C:\\\r\n", "脚本", "script"),
    ("x.pdf", b"<html><script>alert(1)</script></html>", "脚本", "script"),
])
def test_executables_and_scripts_are_refused_outright(name, data, zh, en):
    refused(name, data, "实际是可执行程序", zh, "it is an executable", en)


# ------------------------------------------------------------------------------------------------ not what it claims

def test_files_that_are_not_what_they_claim(good):
    refused("照片.jpg", good["png"], "不是扩展名所称的JPEG 图片", "实际是PNG 图片", "it is a PNG image")
    refused("照片.png", good["jpeg"], "不是扩展名所称的PNG 图片", "JPEG image")
    refused("报告.docx", good["xlsx"], "不是扩展名所称的Word 文档", "实际是Excel 工作簿", "it is an Excel workbook")
    refused("数据.xlsx", good["docx"], "不是扩展名所称的Excel 工作簿", "it is a Word document")
    refused("报告.pdf", good["docx"], "不是扩展名所称的PDF 文件", "ZIP 压缩包", "ZIP archive")
    refused("报告.docx", good["handpdf"], "不是扩展名所称的Word 文档", "it is a PDF file")
    refused("报告.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "OLE 复合文档", "old or encrypted Office")
    refused("报告.pdf", "只是一段文字".encode(), "纯文本", "plain text")
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    refused("图.png", gif.getvalue(), "GIF 图片", "GIF image")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    refused("包.docx", plain_zip.getvalue(), "实际是ZIP 压缩包", "it is a ZIP archive")


# ------------------------------------------------------------------------------------------------ pdf

@pytest.mark.parametrize(("objects", "zh", "en"), [
    ((b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",), "JavaScript", "JavaScript"),
    ((b"<< /S /Launch /F (cmd.exe) >>",), "启动外部程序", "/Launch"),
    ((b"<< /Type /EmbeddedFile /Length 0 >>\nstream\n\nendstream",), "内嵌文件", "embedded files"),
    ((b"<< /Names << /EmbeddedFiles 4 0 R >> >>",), "内嵌文件", "embedded files"),
    ((b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",), "JavaScript", "JavaScript"),   # #xx escapes
    ((b"<< /OpenAction << /JS (x) >> >>",), "JavaScript", "JavaScript"),
])
def test_pdf_with_active_content_is_refused(objects, zh, en):
    refused("通知.pdf", pdf(*objects), "活动内容", zh, "active content", en)


def test_names_that_only_begin_like_active_ones_are_not_active_content():
    assert check_attachment("x.pdf", pdf(b"<< /JavaScriptX 1 /JSON 2 /Launcher 3 /EmbeddedFileZ 4 >>")).kind == "pdf"
    refused("x.pdf", pdf(b"<< /S /L#61#75nch /F (a.exe) >>"), "启动外部程序", "/Launch")   # lower-case hex escapes


def objstm(text: bytes) -> bytes:
    packed = zlib.compress(text)
    return (b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
            + packed + b"\nendstream")


def test_javascript_hidden_in_a_compressed_object_stream_is_refused():
    refused("x.pdf", pdf(objstm(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")), "JavaScript", "active content")
    assert check_attachment("x.pdf", pdf(objstm(b"5 0 << /Type /Font /Subtype /Type1 >>"))).kind == "pdf"


def test_object_streams_that_cannot_be_checked_are_refused():
    raw = b"<< /Type /ObjStm /N 1 /First 4 /Filter /LZWDecode >>\nstream\nnot zlib at all\nendstream"
    refused("x.pdf", pdf(raw), "无法检查的压缩对象流", "cannot be checked")
    bomb = zlib.compress(b" " * (17 * MIB), 9)   # 17 MiB of blanks: over the 16 MiB for object streams
    raw = b"<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n" + bomb + b"\nendstream"
    refused("x.pdf", pdf(raw), "解压后过大", "decompression bomb")


def test_two_letters_js_inside_binary_stream_data_are_not_active_content():
    stream = b"<< /Length 12 >>\nstream\n\x00\x91/JS \x13\xfa\x00\x01\nendstream"
    assert check_attachment("x.pdf", pdf(stream)).kind == "pdf"


def test_encrypted_and_incomplete_pdfs_are_refused():
    refused("x.pdf", pdf(b"<< /Filter /Standard /V 2 >>").replace(b"<< /Root", b"<< /Encrypt 3 0 R /Root"),
            "已加密", "encrypted")
    refused("x.pdf", pdf(tail=b"no end marker\n"), "不完整", "no %%EOF")
    refused("x.pdf", b"%PDF-1.4\n" + b"%" * 4000 + b"\n%%EOF\n" + b"%" * 3000, "不完整", "incomplete")


# ------------------------------------------------------------------------------------------------ docx / xlsx

def rezip(data: bytes, *, add: dict[str, bytes] | None = None, replace: dict[bytes, bytes] | None = None) -> bytes:
    """The same package with parts added and text replaced in [Content_Types].xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                for old, new in (replace or {}).items():
                    body = body.replace(old, new)
            dst.writestr(info.filename, body)
        for part, body in (add or {}).items():
            dst.writestr(part, body)
    return out.getvalue()


def test_macro_enabled_documents_renamed_are_refused(good):
    docm = rezip(good["docx"], add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"},
                 replace={DOCX_MAIN.encode(): b"application/vnd.ms-word.document.macroEnabled.main+xml"})
    refused("x.docx", docm, "含宏", "macros")
    refused("x.docx", rezip(good["docx"], add={"word/vbaProject.bin": b"macro"}), "含宏", "macros")
    refused("x.xlsx", rezip(good["xlsx"], add={"xl/vbaProject.bin": b"macro"}), "含宏", "macros")
    activex = b'<Override PartName="/word/activeX/activeX1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>'
    refused("x.docx", rezip(good["docx"], replace={b"</Types>": activex + b"</Types>"}), "ActiveX", "ActiveX")
    refused("x.docx", rezip(good["docx"], add={"word/embeddings/oleObject1.bin": b"\xd0\xcf"}), "OLE", "OLE")


def test_a_package_without_its_main_part_or_content_types_is_not_what_it_claims(good):
    no_types = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good["docx"])) as src, zipfile.ZipFile(no_types, "w") as dst:
        for info in src.infolist():
            if info.filename != "[Content_Types].xml":
                dst.writestr(info.filename, src.read(info))
    refused("x.docx", no_types.getvalue(), "不是扩展名所称的Word 文档")
    refused("x.docx", rezip(good["docx"], replace={DOCX_MAIN.encode(): b"text/plain"}), "不是扩展名所称的Word 文档")


def set_flag(data: bytes, bit: int) -> bytes:
    """Every central-directory entry's general-purpose flags with ``bit`` set."""
    out, pos = bytearray(data), 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        out[pos + 8] |= bit
        pos += 4
    return bytes(out)


def test_encrypted_parts_damage_and_too_many_parts_are_refused(good):
    refused("x.docx", set_flag(good["docx"], 0x1), "含加密部件", "encrypted parts")
    refused("x.docx", good["docx"][: len(good["docx"]) // 2], "Word 文档（docx）已损坏", "damaged")
    refused("x.xlsx", good["xlsx"][:-30], "已损坏", "damaged")
    refused("x.docx", good["docx"] + PE, "已损坏", "damaged")    # a program appended after the zip
    with zipfile.ZipFile(io.BytesIO(good["docx"])) as zf:
        parts = len(zf.infolist())
    refused("x.docx", good["docx"], "部件过多", f"too many parts ({parts}, at most {parts - 1})",
            config={"max_entries": parts - 1})
    assert check_attachment("x.docx", good["docx"], {"max_entries": parts}).kind == "docx"


def bomb(main_part: str, size_mib: int, content_type: str = DOCX_MAIN, block: bytes = bytes(MIB)) -> bytes:
    """An Office package with one part of ``size_mib`` MiB of zeros (or ``block`` repeated), written in 1 MiB steps
    (the test never holds it either)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'<Types><Override PartName="/{main_part}" ContentType="{content_type}"/>'
                    "</Types>")
        zf.writestr(main_part, "<document/>")
        with zf.open("zeros.xml", "w", force_zip64=True) as part:
            for _ in range(size_mib):
                part.write(block)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_bomb() -> bytes:
    return bomb("word/document.xml", 150)   # 150 MiB of zeros: about 150 KiB packed


def lie(data: bytes, part: bytes, size: int) -> bytes:
    """The zip with ``part``'s uncompressed size understated as ``size`` in its local header and its directory
    entry (zip64 sizes in the extra field included)."""
    out = bytearray(data)
    for signature, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = 0
        while (pos := data.find(signature, pos)) >= 0:
            name_len = struct.unpack("<H", data[pos + name_len_at:pos + name_len_at + 2])[0]
            if data[pos + name_at:pos + name_at + name_len] == part:
                if struct.unpack("<I", data[pos + size_at:pos + size_at + 4])[0] == 0xFFFFFFFF:
                    extra = pos + name_at + name_len     # zip64 extra: id, length, uncompressed size first
                    assert struct.unpack("<H", data[extra:extra + 2])[0] == 1
                    out[extra + 4:extra + 12] = struct.pack("<Q", size)
                else:
                    out[pos + size_at:pos + size_at + 4] = struct.pack("<I", size)
            pos += 4
    return bytes(out)


def peak_mib(call) -> float:
    tracemalloc.start()
    with contextlib.suppress(AttachmentError):
        call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / MIB


def test_zip_bomb_named_docx_over_the_unpacked_limit(big_bomb):
    assert len(big_bomb) < 1 * MIB
    refused("bomb.docx", big_bomb, "压缩炸弹", "zip bomb", "100 MiB")
    assert peak_mib(lambda: check_attachment("bomb.docx", big_bomb)) < 64


def test_zip_bomb_named_xlsx_by_ratio():
    ratio_bomb = bomb("xl/workbook.xml", 20, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet."
                      "main+xml")   # 20 MiB under the 100 MiB total, but about 1000:1
    refused("bomb.xlsx", ratio_bomb, "压缩炸弹", "zip bomb", "100:1")


def test_a_central_directory_that_lies_about_sizes_is_caught_while_streaming(big_bomb):
    liar = lie(big_bomb, b"zeros.xml", 1000)     # claims 1,000 bytes; ratio and total look harmless
    with zipfile.ZipFile(io.BytesIO(liar)) as zf:
        assert zf.getinfo("zeros.xml").file_size == 1000
    refused("liar.docx", liar, "实际内容不符", "understates a part's size")
    assert peak_mib(lambda: check_attachment("liar.docx", liar)) < 64
    noise = random.Random(3).randbytes(MIB)                               # packs 1:1, no ratio to trip on
    small = lie(bomb("word/document.xml", 1, block=noise), b"zeros.xml", MIB + 1)  # overstated: a damaged package
    refused("small.docx", small, "已损坏", "damaged")


def test_a_large_honest_part_is_streamed_in_bounded_memory():
    # Settings that let 90 MiB of zeros through: every byte is unpacked, yet memory stays far below it.
    big = bomb("word/document.xml", 90)
    settings = {"max_ratio": 5000, "max_file_mib": 10}
    assert check_attachment("big.docx", big, settings).kind == "docx"
    assert peak_mib(lambda: check_attachment("big.docx", big, settings)) < 64


# ------------------------------------------------------------------------------------------------ images

def png_header(width: int, height: int) -> bytes:
    """A PNG with an IHDR of the given size and a tiny IDAT: what a decompression bomb's header says."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_images_are_refused():
    refused("bomb.png", png_header(100_000, 100_000), "图片尺寸过大", "decompression bomb")   # over Pillow's own
    refused("big.png", png_header(8000, 8000), "8000×8000", "at most 50,000,000 pixels")      # over max_pixels
    assert peak_mib(lambda: check_attachment("big.png", png_header(8000, 8000))) < 64


def test_pixel_limit_boundary(good):
    limit = {"max_pixels": 40 * 30}
    assert check_attachment("a.png", good["png"], limit).kind == "png"
    refused("a.png", good["png"], "40×30", config={"max_pixels": 40 * 30 - 1})


def test_a_jpeg_with_a_second_picture_is_a_jpeg():
    out = io.BytesIO()    # Pillow reads it as MPO, as it does many phones' photos
    Image.new("RGB", (40, 30)).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 30))])
    assert check_attachment("手机照片.jpg", out.getvalue()).media_type == "image/jpeg"


def test_damaged_images_are_refused(good):
    broken = bytearray(good["png"])
    broken[20] ^= 0xFF                  # inside IHDR: its checksum no longer matches
    refused("a.png", bytes(broken), "PNG 图片已损坏", "PNG image is damaged")
    refused("a.jpg", good["jpeg"][:200], "JPEG 图片已损坏", "damaged")
    refused("a.png", b"\x89PNG\r\n\x1a\n", "已损坏", "damaged")


# ------------------------------------------------------------------------------------------------ several files

def test_check_attachments_count_total_and_unique_names(good):
    files = [("a.pdf", good["handpdf"]), ("A.pdf", good["handpdf"]), ("dir/a.pdf", good["handpdf"]),
             ("b.png", good["png"])]
    checked = check_attachments(files)
    assert [c.file_name for c in checked] == ["a.pdf", "A (2).pdf", "a (3).pdf", "b.png"]
    assert [c.kind for c in checked] == ["pdf", "pdf", "pdf", "png"]
    with pytest.raises(AttachmentError, match=r"附件共 6 个，超过上限 5 个 / 6 attachments, more than the limit of 5"):
        check_attachments([("a.pdf", good["handpdf"])] * 6)
    assert len(check_attachments([("a.pdf", good["handpdf"])] * 5)) == 5
    half = padded_pdf(MIB // 2)
    assert len(check_attachments([("a.pdf", half), ("b.pdf", half)], {"max_total_mib": 1})) == 2
    with pytest.raises(AttachmentError, match=r"附件合计 1.0 MiB，超过上限 1 MiB / attachments total 1.0 MiB"):
        check_attachments([("a.pdf", half), ("b.pdf", padded_pdf(MIB // 2 + 1))], {"max_total_mib": 1})
    with pytest.raises(AttachmentError, match=r"附件 b\.jpg：.*PNG"):
        check_attachments([("a.pdf", good["handpdf"]), ("b.jpg", good["png"])])
    assert check_attachments([]) == []


def test_unique_names_stay_within_120_characters(good):
    long = "长" * 150 + ".pdf"
    names = [c.file_name for c in check_attachments([(long, good["handpdf"])] * 2)]
    assert names[0] == "长" * 116 + ".pdf"
    assert names[1] == "长" * 112 + " (2).pdf"


# ------------------------------------------------------------------------------------------------ any input

def test_no_input_ends_in_anything_but_a_result_or_a_refusal(good):
    rng = random.Random(21)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))) for _ in range(40)]
    for data in good.values():
        samples += [data[:cut] for cut in (1, 8, 30, 100, len(data) // 3, len(data) - 1)]
        flipped = bytearray(data)
        for _ in range(20):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        samples.append(bytes(flipped))
    for data in samples:
        for name in ("x.pdf", "x.docx", "x.xlsx", "x.png", "x.jpg"):
            try:
                assert isinstance(check_attachment(name, data), CheckedFile)
            except AttachmentError as refusal:
                assert str(refusal).startswith(f"附件 {name}：")

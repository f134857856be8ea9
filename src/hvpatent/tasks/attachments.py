"""Checking a report's attachments: a file is what its name says (pdf, docx, xlsx, png, jpeg), within the size
limits, not an executable, not a zip bomb, no macros.  OWNER: H3.

Every file is treated as hostile (OWASP File Upload Cheat Sheet): the name is reduced to a safe base name, the kind
comes from the extension and must be allowed, and then the bytes must prove it: executables and scripts are refused
whatever they are called, a PDF must be a PDF without active content, a docx/xlsx a zip whose parts are streamed
through a decompressor under a byte budget (the central directory may lie), an image must decode as the format its
name says within a pixel limit.  Memory stays bounded by the file's own size plus small buffers; nothing is ever
unpacked whole.  Every refusal is one AttachmentError naming the file and the reason in Chinese and English.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import re
import struct
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import puremagic
from PIL import Image

from hvpatent.tasks.config import default_config, load_config

MIB = 1 << 20
MAX_NAME_CHARS = 120
CHUNK = 256 * 1024          # decompressor output per step: the most any one part holds in memory at a time
RATIO_FLOOR = 64 * 1024     # parts smaller than this are not held to max_ratio: tiny repetitive XML packs 200:1
MAX_OBJECT_STREAMS = 16 * MIB   # a PDF's compressed object streams (dictionaries only: kilobytes in real files)

# kind: (media type, zh name, en name)
KINDS: dict[str, tuple[str, str, str]] = {
    "pdf": ("application/pdf", "PDF 文件", "PDF file"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档（docx）",
             "Word document (docx)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 工作簿（xlsx）",
             "Excel workbook (xlsx)"),
    "png": ("image/png", "PNG 图片", "PNG image"),
    "jpeg": ("image/jpeg", "JPEG 图片", "JPEG image"),
}
EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}

# Programs and scripts, by their first bytes: refused outright whatever the file is called.
_EXECUTABLES: list[tuple[bytes, str, str]] = [
    (b"MZ", "Windows 可执行文件", "Windows executable"),
    (b"\x7fELF", "Linux 可执行文件（ELF）", "Linux executable (ELF)"),
    (b"\xfe\xed\xfa\xce", "macOS 可执行文件（Mach-O）", "macOS executable (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "macOS 可执行文件（Mach-O）", "macOS executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "macOS 可执行文件（Mach-O）", "macOS executable (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行文件（Mach-O）", "macOS executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "Java 类文件或 macOS 通用程序", "Java class or macOS universal binary"),
    (b"#!", "脚本（#!）", "script (#!)"),
    (b"dex\n", "Android 程序（DEX）", "Android program (DEX)"),
    (b"\x00asm", "WebAssembly 程序", "WebAssembly program"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "Windows 快捷方式（LNK）", "Windows shortcut (LNK)"),
]
# Text that a browser or a shell runs, by its start (after a BOM and white space, any case).
_SCRIPTS = (b"@echo", b"<?php", b"<script", b"<html", b"<!doctype html", b"<svg", b"<hta:", b"<job", b"<package")

# Other formats a misnamed file often is: named in the refusal (puremagic names the rest).
_OTHER_FORMATS: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "PDF 文件", "a PDF file"),
    (b"PK\x03\x04", "ZIP 压缩包", "a ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE 复合文档（旧版 Office 文件、加密 Office 文件或 MSI 安装包）",
     "an OLE compound file (old or encrypted Office file, or an MSI installer)"),
    (b"Rar!", "RAR 压缩包", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", "a 7z archive"),
    (b"\x1f\x8b", "gzip 压缩包", "a gzip archive"),
    (b"{\\rtf", "RTF 文档", "an RTF document"),
]
_FAMILY = {"pdf": b"%PDF-", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "png": b"\x89PNG\r\n\x1a\n",
           "jpeg": b"\xff\xd8\xff"}


class AttachmentError(ValueError):
    """An attachment refused; the message (Chinese / English) names the file and why."""


@dataclass(frozen=True)
class CheckedFile:
    file_name: str      # the name as given, made safe (no folders, no control characters, at most 120 characters)
    kind: str           # pdf | docx | xlsx | png | jpeg
    media_type: str
    size_bytes: int
    sha256: str
    content: bytes


def _refuse(name: str, zh: str, en: str) -> AttachmentError:
    return AttachmentError(f"附件 {name}：{zh} / attachment {name}: {en}")


# ---------------------------------------------------------------------------------------------------- settings

def _limits(config: object = None) -> dict:
    """The attachments settings: a TasksConfig's, a plain mapping of some of them (the rest from the package's
    tasks.yaml: tests and callers that change one limit), or load_config()'s when none is given."""
    if config is None:
        return dict(load_config().attachments)
    given = getattr(config, "attachments", config)
    return {**default_config().attachments, **dict(given)}  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------- the name

def safe_name(name: str) -> str:
    """The base name only (no folders of either slash), control, format and bidi characters removed (they can hide
    the real extension: 'report\\u202efdp.exe'), characters Windows forbids replaced, at most 120 characters keeping
    the extension; '' when nothing is left."""
    text = str(name or "").replace("\\", "/").split("/")[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = re.sub(r'[<>:"|?*]', "_", text).strip().lstrip(".").strip()
    if text in ("", "."):
        return ""
    if len(text) > MAX_NAME_CHARS:
        suffix = PurePosixPath(text).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        text = text[:MAX_NAME_CHARS - len(suffix)].rstrip() + suffix
    return text


def _kind_of(name: str, limits: dict) -> str:
    extension = PurePosixPath(name).suffix.lower()
    kind = EXTENSIONS.get(extension)
    allowed = [k for k in limits["kinds"] if k in KINDS]
    if kind is None or kind not in allowed:
        shown = "、".join(sorted({e for e, k in EXTENSIONS.items() if k in allowed}))
        raise _refuse(name, f"不接受此类型（{extension or '无扩展名'}），可上传：{shown}",
                      f"this type is not accepted ({extension or 'no extension'}); accepted: {shown}")
    return kind


# ---------------------------------------------------------------------------------------------------- the bytes

def _executable(data: bytes) -> tuple[str, str] | None:
    for magic, zh, en in _EXECUTABLES:
        if data.startswith(magic):
            return zh, en
    head = data[:64].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if any(head.startswith(s) for s in _SCRIPTS):
        return "可执行脚本或网页", "script or web page"
    return None


def _actual_type(data: bytes) -> tuple[str, str]:
    """What the bytes are, in words: our table first, then puremagic's best guess, else 'unknown'."""
    for magic, zh, en in _OTHER_FORMATS:
        if data.startswith(magic):
            return zh, en
    try:
        guess = puremagic.magic_string(data[:65536])
    except Exception:  # puremagic raises PureError and, on odd input, anything
        guess = []
    if guess and guess[0].name:
        name = guess[0].name.strip()[:60]
        return f"“{name}”类型文件", f"a file of type '{name}'"
    try:
        data[:4096].decode("utf-8")
        return "纯文本", "plain text"
    except UnicodeDecodeError:
        return "未知类型的文件", "a file of unknown type"


def _not_what_it_claims(name: str, kind: str, data: bytes) -> AttachmentError:
    zh, en = _actual_type(data)
    return _refuse(name, f"不是扩展名所称的{KINDS[kind][1]}，实际是{zh}，已拒收",
                   f"not the {KINDS[kind][2]} its name claims; it is {en}, refused")


# ---------------------------------------------------------------------------------------------------- pdf

_STREAM = re.compile(rb"stream\r?\n")
# Names of active content (a reader runs or opens them).  /JS is two letters: found in binary stream data by chance,
# so it counts only outside streams; a JavaScript action always carries /S /JavaScript, which is looked for
# everywhere.
_ACTIVE = {b"JavaScript": ("JavaScript 脚本", "JavaScript"), b"JS": ("JavaScript 脚本", "JavaScript"),
           b"Launch": ("启动外部程序（/Launch）", "launching a program (/Launch)"),
           b"EmbeddedFile": ("内嵌文件", "embedded files"), b"EmbeddedFiles": ("内嵌文件", "embedded files"),
           b"RichMedia": ("富媒体（Flash 等）", "rich media (Flash etc.)")}
_WATCHED = (*_ACTIVE, b"Encrypt", b"ObjStm")


def _spelled(name: bytes) -> bytes:
    """A pattern for ``name`` as a PDF may write it: each character itself or as a #xx escape (/J#61vaScript)."""
    def one(c: int) -> bytes:
        hi, lo = f"{c:02x}"
        return b"(?:%s|#[%s%s][%s%s])" % (re.escape(bytes([c])), hi.encode(), hi.upper().encode(), lo.encode(),
                                             lo.upper().encode())
    return b"".join(one(c) for c in name)


# Only the watched names, whole (a delimiter or the end follows): the regex engine skips everything else in C, so a
# hostile file of ten million slashes costs no more than a scan.
_PDF_NAME = re.compile(b"/(?=[JLERO#])(" + b"|".join(_spelled(n) for n in _WATCHED)
                       + rb")(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)")


def _pdf_names(data: bytes):
    """(position, decoded name) of every watched PDF name (_WATCHED), #xx escapes decoded."""
    for match in _PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        yield match.start(), raw


def _stream_spans(data: bytes) -> list[tuple[int, int]]:
    spans, pos = [], 0
    while (start := _STREAM.search(data, pos)) is not None:
        end = data.find(b"endstream", start.end())
        if end < 0:
            spans.append((start.end(), len(data)))
            break
        spans.append((start.end(), end))
        pos = end + 9
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``position`` lies in one of ``spans`` (sorted, not overlapping): a bisection, as a hostile file may
    hold hundreds of thousands of streams."""
    i = bisect.bisect_right(spans, (position, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= position < spans[i][1]


def _scan_active(name: str, data: bytes, spans: list[tuple[int, int]] | None) -> None:
    for position, token in _pdf_names(data):
        if token in _ACTIVE and (token != b"JS" or spans is None or not _inside(position, spans)):
            zh, en = _ACTIVE[token]
            raise _refuse(name, f"PDF 含可执行的活动内容（{zh}），已拒收",
                          f"the PDF holds active content ({en}), refused")


def _inflate(data: bytes, start: int, budget: int) -> bytes | None:
    """The zlib stream at ``start`` decompressed, at most ``budget`` + 1 bytes; None if it is not zlib data."""
    inflater, out, size = zlib.decompressobj(), [], 0
    view = memoryview(data)[start:]
    try:
        for offset in range(0, len(view), CHUNK):
            piece = inflater.decompress(view[offset:offset + CHUNK], min(CHUNK, budget + 1 - size))
            out.append(piece)
            size += len(piece)
            while inflater.unconsumed_tail and size <= budget:
                piece = inflater.decompress(inflater.unconsumed_tail, min(CHUNK, budget + 1 - size))
                out.append(piece)
                size += len(piece)
            if size > budget or inflater.eof:
                break
    except zlib.error:
        return None
    return b"".join(out)


def _check_pdf(name: str, data: bytes, limits: dict) -> None:
    if b"%PDF-" not in data[:1024]:
        raise _not_what_it_claims(name, "pdf", data)
    if b"%%EOF" not in data[-2048:]:
        raise _refuse(name, "PDF 文件不完整（缺少结尾标记 %%EOF），已拒收",
                      "the PDF is incomplete (no %%EOF at its end), refused")
    spans = _stream_spans(data)
    _scan_active(name, data, spans)
    budget = min(int(limits["max_unpacked_mib"] * MIB), MAX_OBJECT_STREAMS)
    for position, token in list(_pdf_names(data)):
        if token == b"Encrypt" and not _inside(position, spans):
            raise _refuse(name, "PDF 已加密，内容无法检查，请上传未加密的文件",
                          "the PDF is encrypted and cannot be checked; upload an unencrypted copy")
        if token != b"ObjStm" or _inside(position, spans):
            continue
        # Objects packed in a compressed object stream: their dictionaries are only readable inflated.
        start = _STREAM.search(data, position)
        inflated = _inflate(data, start.end(), budget) if start is not None else None
        if inflated is None:
            raise _refuse(name, "PDF 含无法检查的压缩对象流，已拒收",
                          "the PDF holds a compressed object stream that cannot be checked, refused")
        budget -= len(inflated)
        if budget < 0:
            raise _refuse(name, "PDF 的压缩对象流解压后过大（疑为“压缩炸弹”），已拒收",
                          "the PDF's object streams unpack to too much (a likely decompression bomb), refused")
        _scan_active(name, inflated, None)


# ---------------------------------------------------------------------------------------------------- docx / xlsx

_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_MAIN_TYPE = {"docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
              "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}
_ZIP_KINDS = [("word/document.xml", "Word 文档", "a Word document"), ("xl/workbook.xml", "Excel 工作簿",
              "an Excel workbook"), ("ppt/presentation.xml", "PowerPoint 演示文稿", "a PowerPoint presentation"),
              ("mimetype", "OpenDocument 文档（WPS/LibreOffice）", "an OpenDocument file")]
# Macros and ActiveX controls by content type (a .docm/.xlsm renamed keeps them).
_MACRO_TYPES = (b"macroenabled", b"vbaproject", b"activex", b"vbadata")
MAX_CONTENT_TYPES = 1 * MIB


class _Damaged(Exception):
    """A zip that cannot be read as it says it is."""


def _zip_entry_count(data: bytes) -> int | None:
    """Entries the end-of-central-directory record announces (None if absent), read before zipfile builds one
    object per entry: a 10 MiB directory of tiny entries would otherwise cost far more memory than the file."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return None
    entries, comment = struct.unpack("<H", data[end + 10:end + 12])[0], struct.unpack("<H", data[end + 20:end + 22])[0]
    if end + 22 + comment != len(data):
        raise _Damaged("data after the end of the zip")
    return entries


def _stream_part(data: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """Decompress one part from its local header in CHUNK-sized steps, counting, never holding it: the bytes it
    really unpacks to, counted no further than one step past its directory entry's size or ``budget``."""
    offset = info.header_offset
    if data[offset:offset + 4] != b"PK\x03\x04":
        raise _Damaged("no local header")
    name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    packed = memoryview(data)[start:start + info.compress_size]
    limit = min(budget, info.file_size)
    crc, size = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        crc, size = zlib.crc32(packed), len(packed)
    else:
        inflater = zlib.decompressobj(-15)
        pending = [packed[i:i + CHUNK] for i in range(0, len(packed), CHUNK)]
        for piece in pending:
            tail = piece
            while tail:
                out = inflater.decompress(tail, CHUNK)
                tail = inflater.unconsumed_tail
                crc, size = zlib.crc32(out, crc), size + len(out)
                if size > limit:
                    return size
                if not out and tail:
                    break
        out = inflater.flush()
        crc, size = zlib.crc32(out, crc), size + len(out)
    if size > limit:
        return size
    if size != info.file_size or crc != info.CRC:
        raise _Damaged(f"part {info.filename} does not match its directory entry")
    return size


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as part:
        return part.read(MAX_CONTENT_TYPES + 1)


def _check_zip_sizes(name: str, data: bytes, infos: list[zipfile.ZipInfo], limits: dict) -> None:
    max_unpacked = int(limits["max_unpacked_mib"] * MIB)
    ratio = float(limits["max_ratio"])
    bomb = (f"是“压缩炸弹”（解压后超过 {limits['max_unpacked_mib']} MiB 或压缩比超过 {limits['max_ratio']}），已拒收",
            f"is a zip bomb (unpacks to over {limits['max_unpacked_mib']} MiB or packs one part over "
            f"{limits['max_ratio']}:1), refused")
    if sum(i.file_size for i in infos) > max_unpacked:
        raise _refuse(name, *bomb)
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise _refuse(name, *bomb)
    budget = max_unpacked
    for info in infos:   # the directory may lie: every part really unpacked, counted, and thrown away
        size = _stream_part(data, info, budget)
        if size > info.file_size:
            raise _refuse(name, "压缩包目录所记大小与实际内容不符（解压后更大），疑为“压缩炸弹”，已拒收",
                          "its zip directory understates a part's size (it unpacks to more), a likely zip bomb, "
                          "refused")
        if size > budget:
            raise _refuse(name, *bomb)
        budget -= size


def _check_office(name: str, kind: str, data: bytes, limits: dict) -> None:
    try:
        entries = _zip_entry_count(data)
        if entries is not None and entries > limits["max_entries"]:
            raise _refuse(name, f"压缩包内部件过多（{entries} 个，上限 {limits['max_entries']}），已拒收",
                          f"too many parts ({entries}, at most {limits['max_entries']}), refused")
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits["max_entries"]:
                raise _refuse(name, f"压缩包内部件过多（{len(infos)} 个，上限 {limits['max_entries']}），已拒收",
                              f"too many parts ({len(infos)}, at most {limits['max_entries']}), refused")
            if any(i.flag_bits & 0x1 for i in infos):
                raise _refuse(name, "含加密部件，无法检查，已拒收",
                              "it holds encrypted parts that cannot be checked, refused")
            if any(i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos):
                raise _refuse(name, "使用了 Office 文件不用的压缩方式，已拒收",
                              "it uses a compression method Office files do not use, refused")
            _check_zip_sizes(name, data, infos, limits)
            _check_parts(name, kind, zf, infos, data)
    except AttachmentError:
        raise
    except Exception:  # zipfile and struct raise many kinds on a broken zip: all of them are "damaged"
        raise _refuse(name, f"{KINDS[kind][1]}已损坏，无法读取，已拒收",
                      f"the {KINDS[kind][2]} is damaged and cannot be read, refused") from None


def _check_parts(name: str, kind: str, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], data: bytes) -> None:
    names = {i.filename for i in infos}
    lower = {n.lower() for n in names}
    types = zf.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
    content_types = _read_small(zf, types).lower() if types is not None else b""
    if any(n.endswith("vbaproject.bin") or n.endswith("vbadata.xml") for n in lower) or any(
            t in content_types for t in _MACRO_TYPES):
        raise _refuse(name, "含宏或 ActiveX 控件（启用宏的文档改了扩展名），已拒收",
                      "it holds macros or ActiveX controls (a macro-enabled document renamed), refused")
    if any("/embeddings/oleobject" in n for n in lower):
        raise _refuse(name, "含嵌入的 OLE 对象（可携带程序），已拒收",
                      "it holds embedded OLE objects (which can carry programs), refused")
    if types is None or _MAIN_PART[kind] not in names or _MAIN_TYPE[kind] not in content_types:
        actual = next(((zh, en) for part, zh, en in _ZIP_KINDS if part in names and part != _MAIN_PART[kind]),
                      ("ZIP 压缩包", "a ZIP archive"))
        raise _refuse(name, f"不是扩展名所称的{KINDS[kind][1]}，实际是{actual[0]}，已拒收",
                      f"not the {KINDS[kind][2]} its name claims; it is {actual[1]}, refused")


# ---------------------------------------------------------------------------------------------------- images

# Pillow calls a JPEG with a second picture in it (phones' photos with a depth map or preview) MPO: still a JPEG.
_PIL_FORMATS = {"png": ("PNG",), "jpeg": ("JPEG", "MPO")}


def _too_large(name: str, max_pixels: int, size: str = "") -> AttachmentError:
    return _refuse(name, f"图片尺寸过大（{size}上限 {max_pixels:,} 像素），疑为“解压炸弹”，已拒收",
                   f"the image is too large ({size}at most {max_pixels:,} pixels), a likely decompression bomb, "
                   "refused")


def _check_image(name: str, kind: str, data: bytes, limits: dict) -> None:
    """Decoded by Pillow limited to PNG and JPEG (no other plugin, e.g. EPS through Ghostscript, ever runs); the
    size read from the header is held to max_pixels before any pixel is decoded (our own check rather than setting
    Image.MAX_IMAGE_PIXELS, a process-wide value matplotlib's images share)."""
    max_pixels = int(limits["max_pixels"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                width, height = image.size
                if image.format not in _PIL_FORMATS[kind]:
                    raise _not_what_it_claims(name, kind, data)
                if width * height > max_pixels:
                    raise _too_large(name, max_pixels, f"{width}×{height}, ")
                image.verify()           # PNG: every chunk's checksum
            if kind == "jpeg":           # JPEG verify() checks nothing: decode at 1/8 scale (bounded memory)
                with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except AttachmentError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard in open(): over twice its 89-million-pixel limit
        raise _too_large(name, max_pixels) from None
    except Exception:  # Pillow raises OSError (UnidentifiedImageError: the signature matched, so a broken header),
        #                SyntaxError, ValueError, struct.error ... on broken images
        raise _refuse(name, f"{KINDS[kind][1]}已损坏，无法读取，已拒收",
                      f"the {KINDS[kind][2]} is damaged and cannot be read, refused") from None


# ---------------------------------------------------------------------------------------------------- the door

def check_attachment(name: str, data: bytes, config=None) -> CheckedFile:
    """``data`` checked as the file ``name`` claims to be; a CheckedFile with the safe name, or AttachmentError."""
    limits = _limits(config)
    safe = safe_name(name)
    if not safe:
        raise AttachmentError("附件（无名）：文件名为空，已拒收 / "
                              "attachment (no name): the file name is empty, refused")
    kind = _kind_of(safe, limits)
    data = bytes(data)
    if not data:
        raise _refuse(safe, "文件为空，已拒收", "the file is empty, refused")
    if len(data) > limits["max_file_mib"] * MIB:
        raise _refuse(safe, f"文件过大（{len(data) / MIB:.1f} MiB，上限 {limits['max_file_mib']} MiB），已拒收",
                      f"the file is too large ({len(data) / MIB:.1f} MiB, at most {limits['max_file_mib']} MiB), "
                      "refused")
    program = _executable(data)
    if program is not None:
        raise _refuse(safe, f"实际是可执行程序（{program[0]}），已拒收", f"it is an executable ({program[1]}), refused")
    if kind != "pdf" and not data.startswith(_FAMILY[kind]):
        raise _not_what_it_claims(safe, kind, data)
    if kind == "pdf":
        _check_pdf(safe, data, limits)
    elif kind in _MAIN_PART:
        _check_office(safe, kind, data, limits)
    else:
        _check_image(safe, kind, data, limits)
    return CheckedFile(safe, kind, KINDS[kind][0], len(data), hashlib.sha256(data).hexdigest(), data)


def _unique(name: str, taken: set[str]) -> str:
    """``name`` or ``name (2).ext``, ``name (3).ext`` ... not yet in ``taken`` (compared ignoring case)."""
    if name.lower() not in taken:
        return name
    path = PurePosixPath(name)
    number = 2
    while True:
        tail = f" ({number}){path.suffix}"
        candidate = path.stem[:MAX_NAME_CHARS - len(tail)] + tail
        if candidate.lower() not in taken:
            return candidate
        number += 1


def check_attachments(files: Sequence[tuple[str, bytes]], config=None) -> list[CheckedFile]:
    """Each file checked, then the count and total size; the first refusal raises."""
    limits = _limits(config)
    if len(files) > limits["max_files"]:
        raise AttachmentError(f"附件共 {len(files)} 个，超过上限 {limits['max_files']} 个 / "
                              f"{len(files)} attachments, more than the limit of {limits['max_files']}")
    total = sum(len(data) for _, data in files)
    if total > limits["max_total_mib"] * MIB:
        raise AttachmentError(f"附件合计 {total / MIB:.1f} MiB，超过上限 {limits['max_total_mib']} MiB / "
                              f"attachments total {total / MIB:.1f} MiB, more than the limit of "
                              f"{limits['max_total_mib']} MiB")
    checked, taken = [], set()
    for name, data in files:
        one = check_attachment(name, data, limits)
        one = replace(one, file_name=_unique(one.file_name, taken))
        taken.add(one.file_name.lower())
        checked.append(one)
    return checked

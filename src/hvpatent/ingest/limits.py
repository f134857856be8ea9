"""What an imported file may hold: every limit the readers enforce, in one place (docs/importing.md,
"Limits and hostile files").

A file past any of these is a FileError naming the file (and the row or line where it broke the
limit), checked while reading and before anything is stored.  The values are chosen so that a real
export of the 50 MiB an upload may carry passes with room to spare: CNIPA, incoPat and PatSnap
exports hold 20–200 columns, cells of at most a few thousand characters (abstracts, claims,
legal-status histories), and compress 3–15 times.
"""

from __future__ import annotations

MiB = 1 << 20

# -- xlsx: the zip container, inspected from its directory before anything is unpacked ----------------

#: Sum of the declared uncompressed sizes of all members.  Measured: a 13.8 MiB export of 30,000 rows
#: (titles, names, addresses, 250-character abstracts) unpacks to 87.7 MiB, 6.4 times; a 50 MiB export
#: so unpacks to about 320 MiB, and this leaves three times that.  Memory does not grow with it: a
#: sheet past XLSX_CALAMINE_MAX_BYTES below is read streaming.  Issue 12's bomb (3.1 MB unpacking to
#: 1.07 GB) fails the ratio below.
MAX_XLSX_UNCOMPRESSED = 1024 * MiB

#: Largest uncompressed/compressed ratio of a single member.  Apache POI's ZipSecureFile refuses
#: entries that inflate more than 100 times (its MIN_INFLATE_RATIO of 0.01); we do the same.  Only
#: members larger than RATIO_GRACE_BYTES unpacked are judged: a tiny part compresses as it likes.
MAX_COMPRESSION_RATIO = 100
RATIO_GRACE_BYTES = 1 * MiB

#: Members of the zip.  A workbook has 10–30 parts, a few hundred with many sheets or pictures.
MAX_ZIP_MEMBERS = 1_000

#: Reading an xlsx.  After the scan has proved it within the limits here, its first sheet is read with
#: calamine (Rust; the whole sheet at once, about six times faster) when what calamine would hold for
#: it is estimated at no more than this: its cells as one rectangle of 32-byte values from A1 to the last
#: row and column with a value, 3 UTF-8 bytes for every character of their text (a shared string once
#: for each cell that shows it, as calamine copies it), and the shared-string table.  Otherwise openpyxl
#: streams it row by row.  Measured (bench/xlsx_read_bench.py, 30,000 rows): estimates of 39 and 68 MiB,
#: calamine's own peaks 53 and 69 MiB -- at most 1.4 times the estimate -- so this keeps calamine under
#: about 360 MiB.  It covers some 110,000 rows of a typical export: a whole 50 MiB upload written by
#: openpyxl (inline strings), about 40 MiB of one written by Excel (shared strings).
XLSX_CALAMINE_MAX_BYTES = 256 * MiB

# -- spreadsheets (xlsx, xls) and CSV: what one sheet or table may hold ------------------------------

#: Rows of a sheet: Excel's own maximum (1,048,576 rows); a sheet past it was not written by Excel.
#: CSV files stream in chunks and are not limited by rows.
MAX_ROWS = 1_048_576

#: Columns of the header, and of any row of a sheet.  Excel allows 16,384; exports use a few dozen.
MAX_COLUMNS = 1_024

#: Characters in one cell: Excel's own maximum for a cell (32,767).  A longer value could not be
#: exported back to xlsx either.
MAX_CELL_CHARS = 32_767

#: Characters in one CSV line, and in one CSV record (a quoted cell may hold line breaks).  Read
#: through a bounded readline, so a single line of 10^6 fields fails without being held whole.
MAX_LINE_CHARS = 1 * MiB

#: How much of a CSV is read to choose its encoding (UTF-8, else GB18030); bytes past it that do not
#: decode are a FileError naming the line.
ENCODING_SAMPLE_BYTES = 1 * MiB

# -- control characters ------------------------------------------------------------------------------

#: Characters refused in any cell: the C0 controls except tab, line feed and carriage return (which
#: multi-line cells such as abstracts and legal-status histories contain), and U+FFFE / U+FFFF.  XML,
#: and so every xlsx export, cannot hold them (XML 1.0 §2.2, the Char production).
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"

# -- row errors ---------------------------------------------------------------------------------------

#: Row errors kept of one file, in full (file, row, field, value, reason); past it they are only counted
#: ("另有 N 个错误未列出").  Each error is a few hundred bytes; a 200 KB CSV of 100,000 one-byte rows with
#: the wrong field count held 64 MiB of them before this limit (a 50 MiB upload so about 16 GiB).  A
#: thousand errors are more than anyone fixes from one list; the rest are counted and the first ones
#: show what is wrong.
MAX_ROW_ERRORS = 1_000

# -- JSON lines and Parquet (Google Patents rows, company-data API records) ---------------------------

#: Characters in one JSON line: a Google Patents row with its description and claims runs to a few
#: hundred thousand characters; read through a bounded readline, so a longer line fails unheld.
MAX_JSON_LINE_CHARS = 16 * MiB

#: Characters of text the records of one chunk may hold before the chunk is stored (and the next read);
#: with the chunk's row count, this bounds what one chunk holds as Python strings (2 bytes a character
#: for Chinese text) whatever the length of its records.
MAX_CHUNK_CHARS = 64 * MiB

#: Rows decoded at a time from a Parquet file: each batch's text is measured (cell length, total) from
#: Arrow's buffers, dictionaries kept encoded, before it becomes Python values.
PARQUET_BATCH_ROWS = 1_024

#: A Parquet file's decoded text, of the columns read, may be at most MAX_COMPRESSION_RATIO times the
#: file's size, or this many characters for a small file.  A dictionary bomb -- a million rows pointing
#: to one 10 KB string, 2.7 KB on disk -- would decode to 10^10 characters; it fails at this bound.
PARQUET_GRACE_CHARS = 64 * MiB

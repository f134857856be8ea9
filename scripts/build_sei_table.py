"""Build hvpatent's SEI ↔ IPC fact table from the public machine-readable copy of CNIPA's official table.

Source: 国家知识产权局办公室 国知办函规字〔2021〕121号《战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）》,
as converted in ../shared/data/sei-ipc/sei_ipc_2021.csv (see its PROVENANCE.md; not committed to this repository).
Output: src/hvpatent/reference/sei_ipc_2021.csv, one row per (rule block × IPC pattern), in the product's own format:

    sei_code, sei_name, industry_code, industry_name, block, ipc, subtree, exclusions, keywords,
    keyword_condition, source_note

- ``ipc`` is spelled as ingest/fields.parse_ipc writes codes ('H01M10/052', main group 'G06F11/00', subclass
  'G16H', class 'C08'); ``subtree`` = 1 where the source writes ``*`` (the entry and everything below it).
- ``exclusions``: the block's 「不含」 entries, same spelling, ``*`` kept for subtrees, ';'-joined; an exclusion that
  covers the row's own pattern is dropped (PROVENANCE point 2: rows merged from a keyword-less block).
- ``keywords``: the block's 关键词概述 as published (descriptive); ``keyword_condition``: the terms that must occur
  in title or abstract, only for blocks the table words as a keyword condition (「…相关关键词」; docs/indicators.md).
- Rows for the current IPC edition are added from ipc_concordance.csv (old code → new code).

Usage:  .venv/bin/python scripts/build_sei_table.py [--source CSV] [--roy-tian DIR] [--check-sample CSV]
``--roy-tian DIR`` (a local copy of roy-tian/cn-patent-ipc ``data/``: ipc-sei.jsonl, sei.jsonl, MIT) and
``--check-sample`` (tests/fixtures/sei/roy_tian_sample.csv) print how often the table's matching gives the same
second-level SEI code as roy-tian's exact-code list, with the disagreements by kind.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import re
import sys
from pathlib import Path

from hvpatent.reference.classification import pattern_prefix as prefix
from hvpatent.reference.sei import keyword_condition

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sei-ipc"
REFERENCE = ROOT / "src" / "hvpatent" / "reference"
OUTPUT = REFERENCE / "sei_ipc_2021.csv"
CONCORDANCE = REFERENCE / "ipc_concordance.csv"
COLUMNS = ("sei_code", "sei_name", "industry_code", "industry_name", "block", "ipc", "subtree", "exclusions",
           "keywords", "keyword_condition", "source_note")

# First level of 国家统计局《战略性新兴产业分类（2018）》(国家统计局令第23号), which the table's codes follow.
INDUSTRIES = {"1": "新一代信息技术产业", "2": "高端装备制造产业", "3": "新材料产业", "4": "生物产业",
              "5": "新能源汽车产业", "6": "新能源产业", "7": "节能环保产业", "8": "数字创意产业", "9": "相关服务业"}

SOURCE_NOTE = "CNIPA 国知办函规字〔2021〕121号 table, public copy vvangpc/pr-re data/zhanlue_*.js (PROVENANCE.md)"

_CLASS = re.compile(r"^[A-H]\d{2}$")
_SUBCLASS = re.compile(r"^[A-H]\d{2}[A-Z]$")
_MAIN = re.compile(r"^([A-H]\d{2}[A-Z])(\d{1,4})$")
_GROUP = re.compile(r"^([A-H]\d{2}[A-Z])(\d{1,4})/(\d{1,6})$")


def normalise(pattern: str) -> tuple[str, bool, str]:
    """A source pattern as (product spelling, subtree, note).

    Without ``*`` a group symbol is exact (the table lists G06F9/44 and its subgroup G06F9/445 side by side).
    'G16H' and 'H03M13' are above group level, where no patent is classified, so they are read as subtrees.
    """
    text = pattern.strip().upper()
    star = text.endswith("*")
    text = text.rstrip("*")
    if _CLASS.match(text) or _SUBCLASS.match(text):
        return text, True, "" if star else f"{pattern} has no * in the source; above group level, read as subtree"
    if m := _MAIN.match(text):
        return f"{m[1]}{int(m[2])}/00", True, "" if star else f"{pattern} has no * in the source; read as subtree"
    if m := _GROUP.match(text):
        return f"{m[1]}{int(m[2])}/{m[3]}", star, ""
    raise ValueError(f"not an IPC pattern: {pattern!r}")


def covers(excl: tuple[str, bool], pattern: tuple[str, bool]) -> bool:
    """Whether an exclusion covers every code of a pattern."""
    p = prefix(*pattern)
    return p.startswith(prefix(*excl)) and (excl[1] or not pattern[1])


def spell(entry: tuple[str, bool]) -> str:
    return entry[0] + ("*" if entry[1] else "")


def read_source(path: Path) -> list[list[dict]]:
    """The source rows grouped into blocks: consecutive rows sharing category, exclusions and keywords."""
    blocks: list[list[dict]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["sei_code"], row["exclusions"], row["keywords"])
            if blocks and (blocks[-1][0]["sei_code"], blocks[-1][0]["exclusions"], blocks[-1][0]["keywords"]) == key:
                blocks[-1].append(row)
            else:
                blocks.append([row])
    return blocks


def read_concordance(path: Path = CONCORDANCE) -> dict[str, list[dict]]:
    text = "".join(line for line in path.open(encoding="utf-8") if not line.startswith("#"))
    out: dict[str, list[dict]] = collections.defaultdict(list)
    for row in csv.DictReader(io.StringIO(text)):
        out[row["old_ipc"]].append(row)
    return out


def new_entry(code: str) -> tuple[str, bool]:
    star = code.endswith("*")
    code = code.rstrip("*")
    if _SUBCLASS.match(code) or _CLASS.match(code):
        return code, True
    if m := _MAIN.match(code):
        return f"{m[1]}{int(m[2])}/00", True
    return code, star


def moved_in(pattern: tuple[str, bool], concordance: dict[str, list[dict]]) -> list[tuple[str, bool]]:
    """New codes inside a subtree pattern whose old code was outside it (G06F18 from G06K9/62 inside G06F*):
    the table put the old code elsewhere, so the pattern must not take the new one."""
    if not pattern[1]:
        return []
    out = []
    for old, lines in concordance.items():
        old_entry = normalise(old)[:2]
        for line in lines:
            new = new_entry(line["new_ipc"])
            if covers(pattern, new) and not covers(pattern, old_entry):
                out.append(new)
    return list(dict.fromkeys(out))


def build_rows(blocks: list[list[dict]], concordance: dict[str, list[dict]]) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    stats = collections.Counter()
    per_code = collections.Counter()
    for block in blocks:
        first = block[0]
        per_code[first["sei_code"]] += 1
        block_id = f"{first['sei_code']}-{per_code[first['sei_code']]:02d}"
        source_excl = [e for e in first["exclusions"].split("|") if e]
        condition = ";".join(keyword_condition(first["keywords"]))
        base = {"sei_code": first["sei_code"], "sei_name": first["sei_name"],
                "industry_code": first["sei_code"].split(".")[0],
                "industry_name": INDUSTRIES[first["sei_code"].split(".")[0]], "block": block_id,
                "keywords": first["keywords"], "keyword_condition": condition}
        seen: set[tuple[str, bool]] = set()
        for src in block:
            code, subtree, note = normalise(src["ipc_pattern"])
            pattern = (code, subtree)
            excl = [(e, normalise(e)[:2]) for e in source_excl]
            kept = [(raw, e) for raw, e in excl if not covers(e, pattern)]
            if len(kept) < len(excl):
                stats["self_exclusions_dropped"] += len(excl) - len(kept)
                note = "; ".join(filter(None, [note, "block exclusion of this pattern itself dropped"]))
            seen.add(pattern)
            # The current edition's places of the excluded codes, and codes moved in from elsewhere, stay out.
            moved = [e for e in moved_in(pattern, concordance) if e not in [k for _, k in kept]]
            stats["moved_in_exclusions"] += len(moved)
            source_excl_new = [e for _, e in kept] + [new_entry(c["new_ipc"]) for raw, _ in kept
                                                      for c in concordance.get(raw, ())] + moved
            rows.append({**base, "ipc": code, "subtree": int(subtree),
                         "exclusions": ";".join(dict.fromkeys(spell(e) for e in source_excl_new)),
                         "source_note": "; ".join(filter(None, [SOURCE_NOTE, note]))})
            stats["source_rows"] += 1
            # The current IPC edition: the old pattern's new places, excluding the new places of its exclusions.
            mapped_excl = [new_entry(c["new_ipc"]) for raw, _ in kept for c in concordance.get(raw, ())]
            all_excl = [e for _, e in kept] + mapped_excl
            for conc in concordance.get(src["ipc_pattern"], ()):
                new = new_entry(conc["new_ipc"])
                if new in seen or any(covers(e, new) for e in all_excl):
                    stats["concordance_rows_skipped"] += 1
                    continue
                seen.add(new)
                rows.append({**base, "ipc": new[0], "subtree": int(new[1]),
                             "exclusions": ";".join(dict.fromkeys(spell(e) for e in all_excl)),
                             "source_note": f"IPC concordance {src['ipc_pattern']} -> {conc['new_ipc']} "
                                            f"(IPC {conc['ipc_version']}; {conc['source']})"})
                stats["concordance_rows"] += 1
    stats["blocks"] = len(blocks)
    return rows, stats


def check_names(rows: list[dict], sei_jsonl: Path) -> list[str]:
    """Category names of the table against roy-tian's sei.jsonl (MIT): the differences, for the report."""
    if not sei_jsonl.exists():
        return [f"{sei_jsonl} not found: names not cross-checked"]
    theirs = {}
    for line in sei_jsonl.open(encoding="utf-8"):
        item = json.loads(line)
        theirs.setdefault(item["seiCode"], item["seiName"])
    ours = {r["sei_code"]: r["sei_name"] for r in rows}
    diffs = [f"{c}: table {ours.get(c)!r}, roy-tian {theirs.get(c)!r}" for c in sorted(set(ours) | set(theirs))
             if ours.get(c) != theirs.get(c)]
    return diffs or ["names agree for all 40 codes"]


# -- the cross-check against roy-tian's exact-code list --------------------------------------------------------

def matcher(rows: list[dict]):
    """The product's matching rule in Python, for the cross-check (keyword conditions aside: codes only)."""
    by_class = collections.defaultdict(list)
    for r in rows:
        excl = [prefix(*new_entry(e)) for e in r["exclusions"].split(";") if e]
        by_class[r["ipc"][:3]].append((prefix(r["ipc"], bool(int(r["subtree"]))), excl, r["sei_code"],
                                       bool(r["keyword_condition"])))

    def codes(ipc: str, *, with_conditional: bool = True) -> set[str]:
        key = ipc + "$"
        return {code for p, excl, code, cond in by_class[ipc[:3]]
                if key.startswith(p) and not any(key.startswith(e) for e in excl) and (with_conditional or not cond)}
    return codes


def cross_check(rows: list[dict], pairs: list[tuple[str, str]]) -> dict:
    """pairs: (exact IPC code, expected second-level SEI code)."""
    codes = matcher(rows)
    kinds = collections.Counter()
    examples = collections.defaultdict(list)
    for ipc, expected in pairs:
        got = codes(ipc)
        if got == {expected}:
            kind = "same"
        elif expected in got:
            kind = "same, plus other codes"
        elif not got:
            kind = "not SEI in our table"
        else:
            kind = "other SEI code"
        kinds[kind] += 1
        if kind != "same" and len(examples[kind]) < 15:
            examples[kind].append(f"{ipc}: roy-tian {expected}, ours {sorted(got)}")
    return {"codes": len(pairs), "kinds": dict(kinds), "examples": dict(examples)}


def roy_tian_pairs(folder: Path) -> list[tuple[str, str]]:
    ids = {json.loads(line)["id"]: json.loads(line)["seiCode"] for line in (folder / "sei.jsonl").open()}
    return [(item["ipcCode"], ids[item["seiId"]])
            for item in map(json.loads, (folder / "ipc-sei.jsonl").open()) if "/" in item["ipcCode"]]


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SHARED / "sei_ipc_2021.csv")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--roy-tian", type=Path, help="folder with roy-tian's ipc-sei.jsonl and sei.jsonl")
    parser.add_argument("--check-sample", type=Path, help="CSV ipc,sei_code of exact codes to check")
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"source not found: {args.source}", file=sys.stderr)
        return 1
    rows, stats = build_rows(read_source(args.source), read_concordance())
    write(rows, args.output)
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: "
          f"{len(rows)} rows; {dict(stats)}")
    print(f"industries {len({r['industry_code'] for r in rows})}, categories {len({r['sei_code'] for r in rows})}")
    for line in check_names(rows, args.source.parent / "raw" / "sei.jsonl"):
        print("names:", line)
    if args.roy_tian:
        print("roy-tian:", json.dumps(cross_check(rows, roy_tian_pairs(args.roy_tian)), ensure_ascii=False, indent=1))
    if args.check_sample:
        with args.check_sample.open(encoding="utf-8") as fh:
            pairs = [(r["ipc"], r["sei_code"]) for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
        print("sample:", json.dumps(cross_check(rows, pairs), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

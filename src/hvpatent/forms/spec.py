"""A form as data: one YAML file per form (its header block, rows, columns, filters and notes), read and
checked here so that a province's own form is added without code (docs/forms.md, "Writing a form")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hvpatent.indicators import CRITERIA
from hvpatent.model import MARK_KINDS

FILES = Path(__file__).parent / "files"
MEASURES = {  # the records a form counts, by the indicator whose drill-down list they are
    "applications": "applications",         # filed in the window (申请受理量)
    "grants": "grants",                     # grant announced in the window (授权量)
    "valid_inventions": "valid_inventions",  # valid on the last day of the period (有效发明专利量)
    "high_value_inventions": "high_value_inventions",
    "trademarks": "trademarks",             # effective registered marks on the last day (有效注册量), Madrid apart
    "trademark_applications": "trademark_applications",    # filed in the window (商标申请量)
    "trademark_registrations": "trademark_registrations",  # registered in the window (商标注册量)
    "madrid_registrations": "madrid_registrations",        # effective Madrid international registrations
}
# What a measure's records are, and so which filters apply to them and what identifies one record: a patent
# application (app_no) or a trademark, one per registration number and Nice class (trademark_key).
TRADEMARK_MEASURES = ("trademarks", "trademark_applications", "trademark_registrations", "madrid_registrations")
CATEGORIES = ("university", "institute", "enterprise", "government", "individual")
ORIGIN_VALUES = ("domestic", "foreign", "mainland", "hk", "macao", "taiwan")
PATENT_TYPES = ("invention", "utility_model", "design")
WINDOWS = ("period", "year_to_date", "month", "all_time")
# population / per_10k: resident population (persons) and counts per 10,000 residents; entities / per_10k_entities:
# market entities (市场主体, households) and counts per 10,000 of them (每万户市场主体 …).
COLUMN_KINDS = ("count", "share", "population", "per_10k", "entities", "per_10k_entities", "rank")
WHERE_VALUES: dict[str, tuple] = {"patent_type": PATENT_TYPES, "origin": ORIGIN_VALUES, "service": (True, False),
                                  "category": CATEGORIES, "criterion": CRITERIA, "mark_kind": MARK_KINDS,
                                  "gi": (True, False)}
PATENT_FILTERS = ("patent_type", "criterion")  # the filters only a patent's record can meet
TRADEMARK_FILTERS = ("mark_kind", "gi")         # and those only a trademark's can


def record_family(measure: str) -> str:
    """``trademarks`` or ``patents``: what one record of the measure is."""
    return "trademarks" if measure in TRADEMARK_MEASURES else "patents"


# Keys name forms, rows and columns in file names, URLs and `--cell ROW:COLUMN`.
KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class FormError(ValueError):
    """A form file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class RowSpec:
    key: str
    labels: tuple[Text, ...]
    where: dict = field(default_factory=dict)
    share_base: str | None = None  # 构成: this row's count as a share of that row's
    slash_base: str | None = None  # printed "100/x": x is this row's share of that row's (a subtotal's weight)


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    labels: tuple[Text, ...]
    kind: str = "count"
    where: dict = field(default_factory=dict)
    of: str | None = None        # share / per_10k / rank: the column it is computed from
    window: str = "period"       # flows: the period, the year to its end, its last month, or since 1985
    decimals: int | None = None
    measure: str | None = None   # a count column of another measure than the form's (same kind of record)


@dataclass(frozen=True)
class RegionRows:
    """Rows made from the sub-regions of the form's region, an "other" row and the total row."""
    other: Text
    total: Text | None
    names: str = "full"  # full | short


@dataclass(frozen=True)
class FormSpec:
    key: str
    title: Text
    measure: str
    columns: tuple[ColumnSpec, ...]
    rows: tuple[RowSpec, ...] = ()
    by_region: RegionRows | None = None
    row_header: tuple[Text, ...] = ()
    table_no: str | None = None
    authority: str | None = None
    filed_with: str | None = None
    filing_no: str | None = None
    unit: Text = Text("件", "pieces")
    notes: tuple[Text, ...] = ()
    source: str | None = None
    unclassified_as: str = "enterprise"
    unknown_origin_as: str = "mainland"
    path: Path | None = None

    def column(self, key: str) -> ColumnSpec:
        found = next((c for c in self.columns if c.key == key), None)
        if found is None:
            raise KeyError(key)
        return found

    def row(self, key: str) -> RowSpec:
        found = next((r for r in self.rows if r.key == key), None)
        if found is None:
            raise KeyError(key)
        return found


def _text(value: object, where: str) -> Text:
    if isinstance(value, str | int | float):
        return Text(str(value), str(value))
    if isinstance(value, dict) and isinstance(value.get("zh"), str):
        return Text(value["zh"], str(value.get("en") or value["zh"]))
    raise FormError(f"{where}: 应为文字或 {{zh: …, en: …}} / must be a text or {{zh, en}}")


def _labels(value: object, where: str) -> tuple[Text, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise FormError(f"{where}: 缺少标题 / labels missing")
    return tuple(_text(v, f"{where}[{i}]") for i, v in enumerate(items))


def _where(value: object, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormError(f"{where}: 应为映射 / must be a mapping")
    for name, wanted in value.items():
        if name not in WHERE_VALUES:
            raise FormError(f"{where}.{name}: 未知条件，可用 {', '.join(WHERE_VALUES)} / unknown filter")
        if wanted not in WHERE_VALUES[name]:
            allowed = ", ".join(str(v) for v in WHERE_VALUES[name])
            raise FormError(f"{where}.{name}: 「{wanted}」无效，可用 {allowed} / invalid value")
    return dict(value)


def _str(raw: dict, name: str, where: str, default: str | None = None) -> str | None:
    value = raw.get(name, default)
    if value is not None and not isinstance(value, str | int):
        raise FormError(f"{where}.{name}: 应为文字 / must be a text")
    return None if value is None else str(value)


def _column(raw: object, where: str) -> ColumnSpec:
    if not isinstance(raw, dict) or not raw.get("key"):
        raise FormError(f"{where}: 每列需有 key 与 labels / each column needs key and labels")
    _check_key(raw["key"], f"{where}.key")
    kind = raw.get("kind", "count")
    if kind not in COLUMN_KINDS:
        raise FormError(f"{where}.kind: 「{kind}」无效，可用 {', '.join(COLUMN_KINDS)} / invalid kind")
    window = raw.get("window", "period")
    if window not in WINDOWS:
        raise FormError(f"{where}.window: 「{window}」无效，可用 {', '.join(WINDOWS)} / invalid window")
    decimals = raw.get("decimals")
    if decimals is not None and not (isinstance(decimals, int) and 0 <= decimals <= 6):
        raise FormError(f"{where}.decimals: 应为 0–6 的整数 / must be an integer 0-6")
    measure = raw.get("measure")
    if measure is not None and measure not in MEASURES:
        raise FormError(f"{where}.measure: 「{measure}」无效，可用 {', '.join(MEASURES)} / invalid measure")
    return ColumnSpec(str(raw["key"]), _labels(raw.get("labels"), f"{where}.labels"), kind,
                      _where(raw.get("where"), f"{where}.where"), _str(raw, "of", where), window, decimals,
                      measure)


def _row(raw: object, where: str) -> RowSpec:
    if not isinstance(raw, dict) or not raw.get("key"):
        raise FormError(f"{where}: 每行需有 key 与 labels / each row needs key and labels")
    _check_key(raw["key"], f"{where}.key")
    return RowSpec(str(raw["key"]), _labels(raw.get("labels"), f"{where}.labels"),
                   _where(raw.get("where"), f"{where}.where"), _str(raw, "share_base", where),
                   _str(raw, "slash_base", where))


def _check_key(value: object, where: str) -> None:
    if not isinstance(value, str | int) or not KEY.match(str(value)):
        raise FormError(f"{where}: 「{value}」无效：只可用字母、数字、- 和 _ / a key is letters, digits, - and _")


def parse_form(raw: object, name: str, path: Path | None = None) -> FormSpec:
    """A FormSpec from the YAML's contents; FormError names the file and the field that is wrong."""
    try:
        return _parse_form(raw, name, path)
    except FormError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError) as err:  # a shape the checks above did not foresee
        raise FormError(f"{name}: 表式文件的结构无法识别 / the form file's structure is not understood — {err}"
                        ) from err


def _parse_form(raw: object, name: str, path: Path | None = None) -> FormSpec:
    if not isinstance(raw, dict):
        raise FormError(f"{name}: 表式文件应为映射 / a form file must be a mapping")
    for needed in ("key", "title", "measure", "columns", "rows"):
        if needed not in raw:
            raise FormError(f"{name}: 缺少字段 {needed} / field missing")
    _check_key(raw["key"], f"{name}.key")
    if not isinstance(raw["measure"], str) or raw["measure"] not in MEASURES:
        raise FormError(f"{name}.measure: 「{raw['measure']}」无效，可用 {', '.join(MEASURES)} / invalid measure")
    if not isinstance(raw["columns"], list) or not raw["columns"]:
        raise FormError(f"{name}.columns: 应为非空列表 / must be a non-empty list")
    columns = tuple(_column(c, f"{name}.columns[{i}]") for i, c in enumerate(raw["columns"]))
    rows: tuple[RowSpec, ...] = ()
    by_region = None
    if isinstance(raw["rows"], dict) and raw["rows"].get("by") == "sub_region":
        spec = raw["rows"]
        total = _text(spec["total"], f"{name}.rows.total") if spec.get("total") else None
        names = spec.get("names", "full")
        if names not in ("full", "short"):
            raise FormError(f"{name}.rows.names: 应为 full 或 short / must be full or short")
        by_region = RegionRows(_text(spec.get("other", {"zh": "其他", "en": "other"}), f"{name}.rows.other"),
                               total, names)
    elif isinstance(raw["rows"], list) and raw["rows"]:
        rows = tuple(_row(r, f"{name}.rows[{i}]") for i, r in enumerate(raw["rows"]))
    else:
        raise FormError(f"{name}.rows: 应为行的列表或 {{by: sub_region}} / a list of rows or {{by: sub_region}}")
    spec = FormSpec(
        key=str(raw["key"]), title=_text(raw["title"], f"{name}.title"), measure=raw["measure"],
        columns=columns, rows=rows, by_region=by_region,
        row_header=_labels(raw["row_header"], f"{name}.row_header") if raw.get("row_header") else (),
        table_no=_str(raw, "table_no", name), authority=_str(raw, "authority", name),
        filed_with=_str(raw, "filed_with", name), filing_no=_str(raw, "filing_no", name),
        unit=_text(raw.get("unit", {"zh": "件", "en": "pieces"}), f"{name}.unit"),
        notes=tuple(_text(n, f"{name}.notes[{i}]") for i, n in enumerate(_list(raw.get("notes"), f"{name}.notes"))),
        source=_str(raw, "source", name),
        unclassified_as=_str(raw, "unclassified_as", name, "enterprise"),
        unknown_origin_as=_str(raw, "unknown_origin_as", name, "mainland"),
        path=path,
    )
    _check_references(spec, name)
    return spec


def _list(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormError(f"{where}: 应为列表 / must be a list")
    return value


def _check_references(spec: FormSpec, name: str) -> None:
    keys = [c.key for c in spec.columns]
    if len(set(keys)) != len(keys):
        raise FormError(f"{name}.columns: 列的 key 重复 / duplicate column keys")
    row_keys = [r.key for r in spec.rows]
    if len(set(row_keys)) != len(row_keys):
        raise FormError(f"{name}.rows: 行的 key 重复 / duplicate row keys")
    kinds = {c.key: c.kind for c in spec.columns}
    for c in spec.columns:
        if c.kind in ("share", "per_10k", "per_10k_entities") and kinds.get(c.of) != "count":
            raise FormError(f"{name}.columns.{c.key}.of: 应为一个计数列的 key / must name a count column")
        if c.kind == "rank" and (c.of not in kinds or kinds[c.of] == "rank"):
            raise FormError(f"{name}.columns.{c.key}.of: 应为另一列（非排名列）的 key / must name a column that "
                            "is not a rank")
        if c.kind in ("population", "per_10k", "entities", "per_10k_entities", "rank") and spec.by_region is None:
            raise FormError(f"{name}.columns.{c.key}: 人口、市场主体、密度、排名只用于分地区表 / only in a table by "
                            "region")
    _check_families(spec, name)
    for r in spec.rows:
        for base in (r.share_base, r.slash_base):
            if base is not None and base not in row_keys:
                raise FormError(f"{name}.rows.{r.key}: 「{base}」不是本表的行 / not a row of this form")
    if spec.unclassified_as not in CATEGORIES:
        raise FormError(f"{name}.unclassified_as: 应为 {', '.join(CATEGORIES)} 之一 / invalid category")
    if spec.unknown_origin_as not in ("mainland", "foreign"):
        raise FormError(f"{name}.unknown_origin_as: 应为 mainland 或 foreign / must be mainland or foreign")


def load_form_file(path: Path) -> FormSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise FormError(f"{path.name}: 无法读取表式文件 / cannot read the form file — {err}") from err
    return parse_form(raw, path.name, path)


def builtin_forms() -> list[FormSpec]:
    return [load_form_file(p) for p in sorted(FILES.glob("*.yaml"))]


def column_measure(spec: FormSpec, col: ColumnSpec) -> str:
    return col.measure or spec.measure


def _check_families(spec: FormSpec, name: str) -> None:
    """One form counts one kind of record (patents or trademarks): a column of the other kind, or a filter that
    its records cannot meet (a patent type on trademarks, a mark kind on patents), is refused."""
    family = record_family(spec.measure)
    foreign = TRADEMARK_FILTERS if family == "patents" else PATENT_FILTERS
    for c in spec.columns:
        if record_family(column_measure(spec, c)) != family:
            raise FormError(f"{name}.columns.{c.key}.measure: 一张表只统计专利或只统计商标 / a form counts patents or "
                            "trademarks, not both")
        if any(f in c.where for f in foreign):
            raise FormError(f"{name}.columns.{c.key}.where: 条件不适用于{'专利' if family == 'patents' else '商标'} / "
                            f"a filter that does not apply to {family}")
    for r in spec.rows:
        if any(f in r.where for f in foreign):
            raise FormError(f"{name}.rows.{r.key}.where: 条件不适用于{'专利' if family == 'patents' else '商标'} / "
                            f"a filter that does not apply to {family}")

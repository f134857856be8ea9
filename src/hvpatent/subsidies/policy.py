"""Subsidy and reward policy as data (docs/subsidies.md): dated versions of items.

``policy.yaml`` (the user's ``subsidies.yaml`` when there is one, else the package's) holds the district's
资助奖励办法 as dated versions; each version lists items — what is paid for (the item's kind), to whom (a patent's
payee or an enterprise), how much (one amount, a rate, or amounts per office / level / project kind / grade), under
which conditions, with caps, budgets and clawback terms.  ``load_policy`` checks it all and names the file and the
field of anything wrong (PolicyError), so a bureau's edit never reaches the ledger half-read.

Item ids are stable across versions: the ledger's key carries the item id, so a new version never pays an event that
an older version's item of the same id already paid.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from hvpatent.indicators.highvalue import CRITERIA
from hvpatent.model import PARTY_TYPES, PATENT_TYPES
from hvpatent.recognitions.kinds import LEVELS
from hvpatent.reference.userconfig import config_file

FILE_NAME = "subsidies.yaml"        # the user's copy in the config folder (hvp config path)
PACKAGE_FILE = "policy.yaml"        # the package's example
MAX_BYTES = 1 << 20                 # a policy is a few KiB; anything over 1 MiB is a wrong file

ITEM_KINDS: tuple[str, ...] = (
    "invention_grant", "high_value_criterion", "pct_filing", "grant_abroad", "pledge_interest",
    "ip_standard", "ip_advantage", "ip_demonstration", "navigation_project", "china_patent_award",
)
ITEM_KIND_WORDS: dict[str, tuple[str, str]] = {
    "invention_grant": ("发明专利授权", "invention patent grant"),
    "high_value_criterion": ("高价值发明专利", "high-value invention patent"),
    "pct_filing": ("PCT 国际专利申请", "PCT international application"),
    "grant_abroad": ("国外发明专利授权", "invention patent granted abroad"),
    "pledge_interest": ("知识产权质押融资贴息", "IP pledge loan interest subsidy"),
    "ip_standard": ("知识产权贯标认证", "IP management certification (GB/T 29490)"),
    "ip_advantage": ("知识产权优势企业", "IP advantage enterprise"),
    "ip_demonstration": ("知识产权示范企业", "IP demonstration enterprise"),
    "navigation_project": ("专利导航项目", "patent navigation project"),
    "china_patent_award": ("中国专利奖", "China Patent Award"),
}
PATENT_SUBJECT_KINDS = ("invention_grant", "high_value_criterion", "pct_filing", "grant_abroad", "china_patent_award")
SUBJECT_OF: dict[str, str] = {k: "patent" if k in PATENT_SUBJECT_KINDS else "enterprise" for k in ITEM_KINDS}
NAVIGATION_KINDS = ("enterprise", "industry", "region")     # navigation_projects.kind (GB/T 39551's three parts)
AWARD_GRADES = ("金奖", "银奖", "优秀奖")                    # the China Patent Award's grades as `awards` stores them
# What an item's ``amounts`` are keyed by, per kind (kinds not listed take one amount or a rate).
AMOUNT_KEYS: dict[str, str] = {
    "grant_abroad": "office", "ip_standard": "level", "ip_advantage": "level", "ip_demonstration": "level",
    "navigation_project": "project_kind", "china_patent_award": "grade",
}
APPLICANT_POSITIONS = ("first", "any")


class PolicyError(ValueError):
    """A policy file that cannot be used: the message names the file and the field."""


@dataclass(frozen=True)
class Conditions:
    region: str | None = None                 # 6/9/12-digit code the payee's town must lie in (None: version's)
    patent_types: tuple[str, ...] = ()        # invention | utility_model | design (empty: any)
    in_force: bool = True                     # the patent must be in force on the assessment day
    applicant: str = "first"                  # first | any: which applicant position must be in the region
    applicant_types: tuple[str, ...] = ()     # enterprise | university | institute | individual | ... (empty: any)
    fields: tuple[str, ...] = ()              # SEI codes (2021 classification, a prefix matches) (empty: any)
    ipc_prefixes: tuple[str, ...] = ()        # IPC prefixes (empty: any)


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    name_zh: str
    name_en: str
    subject: str                               # patent | enterprise
    amount_yuan: Decimal | None = None         # a fixed amount
    rate: Decimal | None = None                # a share of a base (pledge_interest: of the finance ledger's amount)
    amounts: dict[str, Decimal] = field(default_factory=dict)  # per office / level / grade
    criterion: str | None = None               # high_value_criterion: sei | family_abroad | maintained_10y | ...
    cap_per_subject_yuan: Decimal | None = None           # e.g. grants abroad: most per patent over all offices
    cap_per_applicant_year_yuan: Decimal | None = None    # most one payee gets from this item in a year
    budget_yuan: Decimal | None = None                    # the item's budget for a year
    conditions: Conditions = field(default_factory=Conditions)
    exclude_abnormal: bool = True              # applications notified/confirmed abnormal are not paid
    clawback_lapse_years: int | None = None    # lapse within N years of payment → clawback

    def amount_for(self, key: str | None = None) -> Decimal | None:
        """The gross amount for an event: the one amount, else the amount for its office / level / project kind /
        grade (None when the item has no amount for that key, or pays a rate)."""
        if self.amount_yuan is not None:
            return self.amount_yuan
        return self.amounts.get(key) if key is not None else None


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    name_zh: str
    name_en: str
    effective_from: date
    effective_to: date | None
    region: str
    source: str
    items: tuple[Item, ...]
    cap_per_applicant_year_yuan: Decimal | None = None
    budget_yuan: Decimal | None = None

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def overlaps(self, start: date, end: date) -> bool:
        """Whether the version is in force on any day of [start, end]."""
        return self.effective_from <= end and (self.effective_to is None or start <= self.effective_to)


@dataclass(frozen=True)
class SubsidyPolicy:
    versions: tuple[PolicyVersion, ...]       # ascending by effective_from, never overlapping
    path: str

    def version_on(self, day: date) -> PolicyVersion | None:
        """The version in force on the day, or None (before the first, or in a gap between versions)."""
        return next((v for v in self.versions if v.in_force(day)), None)

    def versions_between(self, start: date, end: date) -> tuple[PolicyVersion, ...]:
        """The versions in force on some day of [start, end], oldest first."""
        return tuple(v for v in self.versions if v.overlaps(start, end))

    def item_ids(self) -> tuple[str, ...]:
        """Every item id of every version, in order of first appearance."""
        return tuple(dict.fromkeys(i.id for v in self.versions for i in v.items))

    def to_dict(self) -> dict:
        """The policy as JSON-able data (hvp subsidies policy --format json, the API): dates ISO, yuan as text."""
        return {"path": self.path, "versions": [_version_dict(v) for v in self.versions]}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _item_dict(item: Item) -> dict:
    out = {f.name: _plain(getattr(item, f.name)) for f in fields(Item) if f.name != "conditions"}
    out["conditions"] = {f.name: _plain(getattr(item.conditions, f.name)) for f in fields(Conditions)}
    return out


def _version_dict(v: PolicyVersion) -> dict:
    return {"version": v.version, "name_zh": v.name_zh, "name_en": v.name_en,
            "effective_from": _plain(v.effective_from), "effective_to": _plain(v.effective_to),
            "region": v.region, "source": v.source,
            "cap_per_applicant_year_yuan": _plain(v.cap_per_applicant_year_yuan),
            "budget_yuan": _plain(v.budget_yuan), "items": [_item_dict(i) for i in v.items]}


# ---- reading and checking ------------------------------------------------------------------------------------------

def policy_path() -> Path:
    """The file load_policy() reads: the user's subsidies.yaml in the config folder, else the package's policy.yaml."""
    from importlib import resources

    user = config_file(__package__, FILE_NAME)
    if isinstance(user, Path) and user.is_file():
        return user
    return Path(str(resources.files(__package__).joinpath(PACKAGE_FILE)))


def _fail(source: str, where: str, zh: str, en: str, value: object = ...) -> PolicyError:
    tail = "" if value is ... else f": {value!r}"
    return PolicyError(f"{source}: {where}: {zh} / {en}{tail}")


def _mapping(value: object, source: str, where: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise _fail(source, where, "需要键值表", "a mapping is needed", value)
    for key in value:
        if key not in allowed:
            raise _fail(source, f"{where}.{key}" if where != "(top)" else str(key), "未知字段", "unknown field", key)
    return value


def _text(value: object, source: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _fail(source, where, "需要文字", "a text is needed", value)
    return str(value).strip()


def _date(value: object, source: str, where: str, *, optional: bool = False) -> date | None:
    if value is None and optional:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(source, where, "需要日期 YYYY-MM-DD", "a date YYYY-MM-DD is needed", value)


def _yuan(value: object, source: str, where: str, *, optional: bool = False) -> Decimal | None:
    """A non-negative amount as Decimal, read from the text of the YAML number (no float error: 0.1 stays 0.1)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _fail(source, where, "需要金额（元）", "an amount in yuan is needed", value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise _fail(source, where, "需要金额（元）", "an amount in yuan is needed", value) from None
    if not amount.is_finite() or amount < 0:
        raise _fail(source, where, "金额须为非负数", "an amount must be 0 or more", value)
    return amount


def _rate(value: object, source: str, where: str) -> Decimal:
    rate = _yuan(value, source, where)
    if rate is None or rate > 1:
        raise _fail(source, where, "比例须在 0 到 1 之间", "a rate must lie between 0 and 1", value)
    return rate


def _region(value: object, source: str, where: str) -> str:
    code = _text(value, source, where)
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", code):
        raise _fail(source, where, "需要 6/9/12 位区划代码", "a 6, 9 or 12-digit region code is needed", value)
    return code


def _bool(value: object, source: str, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(source, where, "需要 true 或 false", "true or false is needed", value)
    return value


def _words(value: object, source: str, where: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(source, where, "需要列表", "a list is needed", value)
    out = tuple(_text(v, source, f"{where}[{i}]") for i, v in enumerate(value))
    for i, word in enumerate(out):
        if allowed is not None and word not in allowed:
            raise _fail(source, f"{where}[{i}]", f"应为 {', '.join(allowed)} 之一",
                        f"must be one of {', '.join(allowed)}", word)
    return out


CONDITION_KEYS = tuple(f.name for f in fields(Conditions))


def _conditions(raw: object, source: str, where: str) -> Conditions:
    if raw is None:
        return Conditions()
    raw = _mapping(raw, source, where, CONDITION_KEYS)
    applicant = raw.get("applicant", "first")
    if applicant not in APPLICANT_POSITIONS:
        raise _fail(source, f"{where}.applicant", "应为 first 或 any", "must be first or any", applicant)
    return Conditions(
        region=_region(raw["region"], source, f"{where}.region") if raw.get("region") is not None else None,
        patent_types=_words(raw.get("patent_types"), source, f"{where}.patent_types", PATENT_TYPES),
        in_force=_bool(raw.get("in_force"), source, f"{where}.in_force", True),
        applicant=applicant,
        applicant_types=_words(raw.get("applicant_types"), source, f"{where}.applicant_types", PARTY_TYPES),
        fields=_words(raw.get("fields"), source, f"{where}.fields"),
        ipc_prefixes=_words(raw.get("ipc_prefixes"), source, f"{where}.ipc_prefixes"))


def _amount_key_ok(kind: str, key: str) -> bool:
    dimension = AMOUNT_KEYS[kind]
    if dimension == "office":
        return re.fullmatch(r"[A-Z]{2}", key) is not None and key != "CN"
    if dimension == "level":
        return key in LEVELS
    if dimension == "project_kind":
        return key in NAVIGATION_KINDS
    return key in AWARD_GRADES


def _amounts(raw: object, kind: str, source: str, where: str) -> dict[str, Decimal]:
    if kind not in AMOUNT_KEYS:
        raise _fail(source, where, "此类项目不按分档金额", "this kind of item takes no amounts per key", kind)
    if not isinstance(raw, dict) or not raw:
        raise _fail(source, where, "需要非空键值表", "a non-empty mapping is needed", raw)
    out = {}
    for key, value in raw.items():
        key_text = str(key).strip()
        if not _amount_key_ok(kind, key_text):
            zh, en = {"office": ("未知的受理局代码（两位大写字母，非 CN）", "unknown office code (2 capitals, not CN)"),
                      "level": ("未知的认定级别", "unknown recognition level"),
                      "project_kind": ("未知的导航项目类型", "unknown navigation project kind"),
                      "grade": ("未知的奖项等级", "unknown award grade")}[AMOUNT_KEYS[kind]]
            raise _fail(source, f"{where}.{key_text}", zh, en, key)
        out[key_text] = _yuan(value, source, f"{where}.{key_text}")
    return out


ITEM_KEYS = tuple(f.name for f in fields(Item))


def _pay(raw: dict, kind: str, source: str, where: str) -> tuple[Decimal | None, Decimal | None, dict]:
    """Exactly one of amount_yuan, rate, amounts — rate for pledge_interest only, and pledge_interest a rate only."""
    given = [k for k in ("amount_yuan", "rate", "amounts") if raw.get(k) is not None]
    if len(given) != 1:
        raise _fail(source, f"{where}.amount_yuan", "须给出 amount_yuan、rate、amounts 之一且只能一个",
                    "exactly one of amount_yuan, rate, amounts is needed", given)
    if (kind == "pledge_interest") != (given[0] == "rate"):
        raise _fail(source, f"{where}.{given[0]}", "贴息项目须且只有贴息项目用 rate",
                    "pledge_interest takes a rate and only pledge_interest does", kind)
    amount = _yuan(raw.get("amount_yuan"), source, f"{where}.amount_yuan", optional=True)
    rate = _rate(raw["rate"], source, f"{where}.rate") if given[0] == "rate" else None
    amounts = _amounts(raw["amounts"], kind, source, f"{where}.amounts") if given[0] == "amounts" else {}
    return amount, rate, amounts


def _item(raw: object, source: str, where: str) -> Item:
    raw = _mapping(raw, source, where, ITEM_KEYS)
    item_id = _text(raw.get("id"), source, f"{where}.id")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", item_id):
        raise _fail(source, f"{where}.id", "项目编号须为小写字母、数字、下划线", "an item id is lower-case letters, "
                    "digits and underscores", item_id)
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        raise _fail(source, f"{where}.kind", f"应为 {', '.join(ITEM_KINDS)} 之一", f"must be one of "
                    f"{', '.join(ITEM_KINDS)}", kind)
    subject = raw.get("subject", SUBJECT_OF[kind])
    if subject != SUBJECT_OF[kind]:
        raise _fail(source, f"{where}.subject", f"{kind} 的对象应为 {SUBJECT_OF[kind]}",
                    f"the subject of {kind} is {SUBJECT_OF[kind]}", subject)
    criterion = raw.get("criterion")
    if kind == "high_value_criterion" and criterion not in CRITERIA:
        raise _fail(source, f"{where}.criterion", f"应为 {', '.join(CRITERIA)} 之一",
                    f"must be one of {', '.join(CRITERIA)}", criterion)
    if kind != "high_value_criterion" and criterion is not None:
        raise _fail(source, f"{where}.criterion", "只有高价值项目有 criterion",
                    "only high_value_criterion items take a criterion", criterion)
    amount, rate, amounts = _pay(raw, kind, source, where)
    years = raw.get("clawback_lapse_years")
    if years is not None and (isinstance(years, bool) or not isinstance(years, int) or years < 1):
        raise _fail(source, f"{where}.clawback_lapse_years", "需要正整数", "a whole number ≥ 1 is needed", years)
    return Item(
        id=item_id, kind=kind, subject=subject,
        name_zh=_text(raw.get("name_zh", ITEM_KIND_WORDS[kind][0]), source, f"{where}.name_zh"),
        name_en=_text(raw.get("name_en", ITEM_KIND_WORDS[kind][1]), source, f"{where}.name_en"),
        amount_yuan=amount, rate=rate, amounts=amounts, criterion=criterion,
        cap_per_subject_yuan=_yuan(raw.get("cap_per_subject_yuan"), source, f"{where}.cap_per_subject_yuan",
                                   optional=True),
        cap_per_applicant_year_yuan=_yuan(raw.get("cap_per_applicant_year_yuan"), source,
                                          f"{where}.cap_per_applicant_year_yuan", optional=True),
        budget_yuan=_yuan(raw.get("budget_yuan"), source, f"{where}.budget_yuan", optional=True),
        conditions=_conditions(raw.get("conditions"), source, f"{where}.conditions"),
        exclude_abnormal=_bool(raw.get("exclude_abnormal"), source, f"{where}.exclude_abnormal", True),
        clawback_lapse_years=years)


VERSION_KEYS = tuple(f.name for f in fields(PolicyVersion))


def _version(raw: object, source: str, where: str) -> PolicyVersion:
    raw = _mapping(raw, source, where, VERSION_KEYS)
    name = _text(raw.get("version"), source, f"{where}.version")
    start = _date(raw.get("effective_from"), source, f"{where}.effective_from")
    end = _date(raw.get("effective_to"), source, f"{where}.effective_to", optional=True)
    if end is not None and end < start:
        raise _fail(source, f"{where}.effective_to", "早于 effective_from", "before effective_from", end.isoformat())
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise _fail(source, f"{where}.items", "需要至少一个项目", "at least one item is needed", items_raw)
    items = tuple(_item(r, source, f"{where}.items[{i}]") for i, r in enumerate(items_raw))
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise _fail(source, f"{where}.items[{i}].id", "项目编号在本版本中重复", "an item id repeats in the version",
                        item.id)
        seen.add(item.id)
    return PolicyVersion(
        version=name, name_zh=_text(raw.get("name_zh", name), source, f"{where}.name_zh"),
        name_en=_text(raw.get("name_en", name), source, f"{where}.name_en"), effective_from=start,
        effective_to=end, region=_region(raw.get("region"), source, f"{where}.region"),
        source=_text(raw.get("source"), source, f"{where}.source"), items=items,
        cap_per_applicant_year_yuan=_yuan(raw.get("cap_per_applicant_year_yuan"), source,
                                          f"{where}.cap_per_applicant_year_yuan", optional=True),
        budget_yuan=_yuan(raw.get("budget_yuan"), source, f"{where}.budget_yuan", optional=True))


def _check_across(versions: list[tuple[int, PolicyVersion]], source: str) -> None:
    """No two versions overlap or share a name; an item id keeps its kind (and criterion) in every version."""
    names = [v.version for _, v in versions]
    for (i, v) in versions:
        if names.count(v.version) > 1:
            raise _fail(source, f"versions[{i}].version", "版本名重复", "a version name repeats", v.version)
    ordered = sorted(versions, key=lambda p: p[1].effective_from)
    for (_, before), (j, after) in itertools.pairwise(ordered):
        if before.effective_to is None or before.effective_to >= after.effective_from:
            raise _fail(source, f"versions[{j}].effective_from", f"与版本 {before.version} 重叠",
                        f"overlaps version {before.version}", after.effective_from.isoformat())
    first: dict[str, Item] = {}
    for i, v in versions:
        for k, item in enumerate(v.items):
            known = first.setdefault(item.id, item)
            if (known.kind, known.criterion) != (item.kind, item.criterion):
                raise _fail(source, f"versions[{i}].items[{k}].kind",
                            f"项目 {item.id} 在各版本中的类型须相同", f"item {item.id} must keep its kind in every "
                            f"version", item.kind)


def parse_policy(data: object, source: str = PACKAGE_FILE) -> SubsidyPolicy:
    """The checked policy from YAML data; PolicyError("<source>: <field>: <zh> / <en>: <value>") otherwise."""
    data = _mapping(data, source, "(top)", ("versions",))
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise _fail(source, "versions", "需要至少一个版本", "at least one version is needed", raw_versions)
    versions = [(i, _version(v, source, f"versions[{i}]")) for i, v in enumerate(raw_versions)]
    _check_across(versions, source)
    return SubsidyPolicy(tuple(sorted((v for _, v in versions), key=lambda v: v.effective_from)), source)


def load_policy(path: Path | str | None = None) -> SubsidyPolicy:
    """The policy in ``path``, else the user's subsidies.yaml, else the package's policy.yaml."""
    file = Path(path) if path is not None else policy_path()
    try:
        if file.stat().st_size > MAX_BYTES:
            raise PolicyError(f"{file}: (file): 文件超过 1 MiB / the file is over 1 MiB")
        data = file.read_bytes()
    except OSError as err:
        raise PolicyError(f"{file}: (file): 无法读取 / cannot read: {err.strerror or err}") from None
    return policy_from_bytes(data, str(file))


def policy_from_bytes(data: bytes, source: str) -> SubsidyPolicy:
    """A policy from a file's bytes (a file read, an upload), errors naming ``source``: UTF-8, YAML, then the
    fields."""
    if len(data) > MAX_BYTES:
        raise PolicyError(f"{source}: (file): 文件超过 1 MiB / the file is over 1 MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{source}: (file): 不是 UTF-8 编码 / not UTF-8 text") from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PolicyError(f"{source}: (file): YAML 有误 / bad YAML: {err}") from None
    except RecursionError:  # thousands of nested brackets: PyYAML's composer recurses per level
        raise PolicyError(f"{source}: (file): 嵌套层次过深 / nested too deeply") from None
    except ValueError as err:  # PyYAML's own date reader: 2025-02-30 is a date-shaped value that is no date
        raise PolicyError(f"{source}: (file): 无效的值 / invalid value: {err}") from None
    return parse_policy(parsed, source)

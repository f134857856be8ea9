"""Interest-subsidy (贴息) and risk-compensation (风险补偿) policy as configuration (docs/finance-subsidies.md).

``policy.yaml`` (the user's copy when there is one, else the package's) holds dated policy versions — region,
cooperating banks, the interest subsidy's share, minimum loan term and cap per enterprise and year, the risk
compensation's share and cap per contract — and the 1-year LPR table with its source.  ``load_policy`` checks it
all and names the file and the field of anything wrong (PolicyError)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from hvpatent.reference.userconfig import config_file

FILE_NAME = "policy.yaml"


class PolicyError(ValueError):
    """A policy file that cannot be used: the message names the file and the field."""


@dataclass(frozen=True)
class InterestSubsidy:
    share: float
    min_loan_months: int
    cap_per_enterprise_year_yuan: float


@dataclass(frozen=True)
class RiskCompensation:
    share: float
    cap_per_contract_yuan: float


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    name_zh: str
    name_en: str
    effective_from: date
    effective_to: date | None
    region: str
    cooperating_banks: tuple[str, ...]
    interest_subsidy: InterestSubsidy
    risk_compensation: RiskCompensation

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class FinancePolicy:
    versions: tuple[PolicyVersion, ...]
    lpr: tuple[tuple[date, float], ...]   # (from, percent), ascending
    lpr_source: str
    source: str                           # the file read

    @property
    def version(self) -> str:
        """The newest version's name."""
        return self.versions[-1].version

    def version_on(self, day: date) -> PolicyVersion | None:
        """The version in force on the day, or None."""
        return next((v for v in self.versions if v.in_force(day)), None)

    def lpr_on(self, day: date) -> tuple[date, float] | None:
        """The 1-year LPR in force on the day: (announced on, percent); None before the first entry."""
        found = None
        for since, percent in self.lpr:
            if since <= day:
                found = (since, percent)
        return found

    def describe(self) -> dict:
        """The policy as plain data (hvp finance policy, the web page)."""
        return {"source": self.source, "lpr_source": self.lpr_source,
                "lpr": [{"from": d, "percent": p} for d, p in self.lpr],
                "versions": [{"version": v.version, "name_zh": v.name_zh, "name_en": v.name_en,
                              "effective_from": v.effective_from, "effective_to": v.effective_to,
                              "region": v.region, "cooperating_banks": list(v.cooperating_banks),
                              "interest_subsidy": v.interest_subsidy.__dict__,
                              "risk_compensation": v.risk_compensation.__dict__} for v in self.versions]}


def policy_path() -> Path:
    return Path(str(config_file(__package__, FILE_NAME)))


def _fail(source: str, field: str, why: str) -> PolicyError:
    return PolicyError(f"{source}: {field}: {why}")


def _date(value: object, source: str, field: str, *, optional: bool = False) -> date | None:
    if value is None and optional:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(source, field, f"需要日期 YYYY-MM-DD / a date YYYY-MM-DD is needed, got {value!r}")


def _number(value: object, source: str, field: str, *, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, field, f"需要数字 / a number is needed, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f"≥ {low}"
        raise _fail(source, field, f"超出范围 {bound} / out of range {bound}: {value}")
    return float(value)


def _text(value: object, source: str, field: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise _fail(source, field, f"需要文字 / a text is needed, got {value!r}")
    return str(value).strip()


def _mapping(value: object, source: str, field: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(source, field, "需要键值表 / a mapping is needed")
    return value


def _version(raw: object, source: str, where: str) -> PolicyVersion:
    from hvpatent.ingest.fields import normalize_name

    raw = _mapping(raw, source, where)
    name = _text(raw.get("version"), source, f"{where}.version")
    start = _date(raw.get("effective_from"), source, f"{where}.effective_from")
    end = _date(raw.get("effective_to"), source, f"{where}.effective_to", optional=True)
    if end is not None and start is not None and end < start:
        raise _fail(source, f"{where}.effective_to", f"早于 effective_from / before effective_from: {end}")
    region = _text(raw.get("region"), source, f"{where}.region")
    if not re.fullmatch(r"\d{6}", region):
        raise _fail(source, f"{where}.region", f"需要 6 位区划代码 / a 6-digit region code, got {region!r}")
    banks = raw.get("cooperating_banks")
    if not isinstance(banks, list) or not banks:
        raise _fail(source, f"{where}.cooperating_banks", "需要至少一家银行 / at least one bank is needed")
    names = tuple(normalize_name(_text(b, source, f"{where}.cooperating_banks[{i}]")) for i, b in enumerate(banks))
    sub = _mapping(raw.get("interest_subsidy"), source, f"{where}.interest_subsidy")
    basis = sub.get("basis", "lpr")
    if basis != "lpr":
        raise _fail(source, f"{where}.interest_subsidy.basis", f"只支持 lpr / only lpr is supported, got {basis!r}")
    months = sub.get("min_loan_months")
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        raise _fail(source, f"{where}.interest_subsidy.min_loan_months",
                    f"需要非负整数 / a whole number ≥ 0, got {months!r}")
    subsidy = InterestSubsidy(
        _number(sub.get("share"), source, f"{where}.interest_subsidy.share", high=1.0), months,
        _number(sub.get("cap_per_enterprise_year_yuan"), source,
                f"{where}.interest_subsidy.cap_per_enterprise_year_yuan"))
    risk = _mapping(raw.get("risk_compensation"), source, f"{where}.risk_compensation")
    compensation = RiskCompensation(
        _number(risk.get("share"), source, f"{where}.risk_compensation.share", high=1.0),
        _number(risk.get("cap_per_contract_yuan"), source, f"{where}.risk_compensation.cap_per_contract_yuan"))
    return PolicyVersion(name, str(raw.get("name_zh") or name), str(raw.get("name_en") or name), start, end, region,
                         names, subsidy, compensation)


def parse_policy(data: object, source: str = FILE_NAME) -> FinancePolicy:
    data = _mapping(data, source, "(top)")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise _fail(source, "versions", "需要至少一个版本 / at least one version is needed")
    versions = sorted((_version(v, source, f"versions[{i}]") for i, v in enumerate(raw_versions)),
                      key=lambda v: v.effective_from)
    names = [v.version for v in versions]
    if len(set(names)) != len(names):
        raise _fail(source, "versions.version", "版本名重复 / a version name repeats")
    for before, after in itertools.pairwise(versions):
        if before.effective_to is None or before.effective_to >= after.effective_from:
            raise _fail(source, f"versions[{after.version}].effective_from",
                        f"与版本 {before.version} 重叠 / overlaps version {before.version}")
    lpr = _mapping(data.get("lpr_1y"), source, "lpr_1y")
    lpr_source = _text(lpr.get("source"), source, "lpr_1y.source")
    rows = lpr.get("rates")
    if not isinstance(rows, list) or not rows:
        raise _fail(source, "lpr_1y.rates", "需要利率表 / a rate table is needed")
    rates = []
    for i, row in enumerate(rows):
        row = _mapping(row, source, f"lpr_1y.rates[{i}]")
        rates.append((_date(row.get("from"), source, f"lpr_1y.rates[{i}].from"),
                      _number(row.get("percent"), source, f"lpr_1y.rates[{i}].percent", high=30.0)))
    if [d for d, _ in rates] != sorted({d for d, _ in rates}):
        raise _fail(source, "lpr_1y.rates", "日期须递增且不重复 / dates must ascend without repeats")
    return FinancePolicy(tuple(versions), tuple(rates), lpr_source, source)


def load_policy(path: Path | str | None = None) -> FinancePolicy:
    """The policy in ``path``, else the user's policy.yaml, else the built-in one; PolicyError names file and field."""
    file = Path(path) if path is not None else policy_path()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(f"{file}: 无法读取 / cannot read: {err}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PolicyError(f"{file}: YAML 有误 / bad YAML: {err}") from None
    return parse_policy(data, str(file))

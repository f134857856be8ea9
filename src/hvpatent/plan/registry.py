"""Every plan the product knows: the plans shipped with the package (plan/*.yaml), the user's plan files (the user
config folder's plans/*.yaml) and files named on the command line (`--plan FILE`), each under its key.

A plan is data: a city's or a province's plan file loads and reports like the district's, with no code of its own
(docs/plans.md).  The seed plan (yongchuan-2022-2024) is the default unless a file is named.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hvpatent.plan.model import SEED_PLAN, Plan, PlanError, load_plan, read_plan_text


@dataclass(frozen=True)
class Plans:
    """The known plans in order (the default first), by key."""
    by_key: dict[str, Plan]
    default_key: str

    @property
    def default(self) -> Plan:
        return self.by_key[self.default_key]

    def __iter__(self) -> Iterator[Plan]:
        return iter(self.by_key.values())

    def __len__(self) -> int:
        return len(self.by_key)

    def get(self, key: str | None) -> Plan:
        """The plan of that key (the default for None); PlanError naming the known keys otherwise."""
        if key is None or key == "":
            return self.default
        if key not in self.by_key:
            # the asked key clipped: it comes from a query string or a form
            raise PlanError(f"没有这个方案 / no such plan: {key[:64]!r}（可用 / known: {', '.join(self.by_key)}）")
        return self.by_key[key]

    def units(self) -> tuple[str, ...]:
        """Every unit any plan names, each once."""
        return tuple(dict.fromkeys(u for p in self for u in p.units()))

    def of_unit(self, unit: str) -> list[Plan]:
        """The plans that name the unit (responsible or cooperating)."""
        return [p for p in self if unit in p.units()]


def shipped_plans() -> list[Plan]:
    """The plans in the package: the seed plan first, then the others by file name."""
    folder = resources.files(__package__)
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".yaml"))
    names.sort(key=lambda n: n != SEED_PLAN)
    return [read_plan_text(folder.joinpath(n).read_text(encoding="utf-8"), n) for n in names]


def user_plan_files() -> list[Path]:
    """The user's plan files: the user config folder's plans/*.yaml (`hvp config path`)."""
    from hvpatent.reference.userconfig import user_config_dir

    folder = user_config_dir() / "plans"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _region_prefix(region: str) -> str:
    """The part of an administrative code that names the region: 500000 (Chongqing) -> 50, 500100 -> 5001,
    500118 (Yongchuan) -> 500118; a region within it has a code starting with it."""
    code = region.strip()
    while code.isdigit() and len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def same_bodies(a: str, b: str) -> bool:
    """Whether a unit named by plans of regions ``a`` and ``b`` is the same body: the same region, or one region
    within the other (a district's plan names the city's 市科技局 as the city's plan does).  Two districts' 区科技局
    are two bodies."""
    pa, pb = _region_prefix(a), _region_prefix(b)
    return pa == pb or (pa.isdigit() and pb.isdigit() and (pa.startswith(pb) or pb.startswith(pa)))


def check_units(plans: Sequence[Plan]) -> None:
    """PlanError naming both files and the unit when plans of unrelated regions name the same unit: a unit
    account is bound to a unit's name (warehouse/accounts.py), so it would see and file for another region's
    tasks (docs/plans.md)."""
    naming: dict[str, list[Plan]] = {}
    for plan in plans:
        for unit in plan.units():
            other = next((o for o in naming.get(unit, ()) if not same_bodies(o.region, plan.region)), None)
            naming.setdefault(unit, []).append(plan)
            if other is not None:
                raise PlanError(
                    f"{plan.file}: 单位 {unit} 也出现在 {other.file}（地区 {other.region}，本方案 {plan.region}）："
                    f"单位账号按单位名称登录，请在名称中写明地区（如 某某区科技局）"
                    f" / unit {unit} is also named by {other.file} (region {other.region}, this plan's"
                    f" {plan.region}): unit accounts go by the unit's name, so name the region in it")


def load_plans(files: Sequence[Path] = ()) -> Plans:
    """The shipped plans, the user's plan files and ``files``; the first of ``files`` is the default (else the
    seed plan).  A file whose key another file already has is refused (PlanError naming both), except that a user's
    or a named file may replace a shipped plan of the same key.  Plans of unrelated regions naming the same unit
    are refused (check_units)."""
    shipped = {p.key: p for p in shipped_plans()}
    found: dict[str, Plan] = dict(shipped)
    origin: dict[str, str] = {k: "" for k in shipped}
    named: list[str] = []
    for path in [*user_plan_files(), *files]:
        plan = load_plan(path)
        if plan.key in origin and origin[plan.key] and origin[plan.key] != str(path):
            raise PlanError(f"{path.name}: 方案代码 {plan.key} 与 {Path(origin[plan.key]).name} 重复"
                            f" / plan key {plan.key} is also that of {Path(origin[plan.key]).name}")
        found[plan.key], origin[plan.key] = plan, str(path)
        if path in files:
            named.append(plan.key)
    check_units(list(found.values()))
    default = named[0] if named else load_plan().key
    ordered = {default: found[default], **{k: p for k, p in found.items() if k != default}}
    return Plans(ordered, default)


def looks_like_file(value: str) -> bool:
    """A ``--plan`` value naming a file rather than a key: a YAML suffix or a path separator (a key has neither)."""
    return value.lower().endswith((".yaml", ".yml")) or "/" in value or "\\" in value


def resolve_plans(value: str | None, extra: Sequence[Path] = ()) -> tuple[Plans, Plan]:
    """The known plans and the one ``--plan`` names: a plan key (``hvp plan list``) or a plan file, which joins the
    known plans; None: the default.  PlanError (naming the file and field, or the known keys) otherwise; OSError
    for a file that cannot be read."""
    if value and looks_like_file(value):
        plans = load_plans([Path(value), *extra])
        return plans, plans.default
    plans = load_plans(extra)
    return plans, plans.get(value)


def resolve_plan(value: str | None) -> Plan:
    """The plan ``--plan`` names (a key or a file; None: the default), as resolve_plans."""
    return resolve_plans(value)[1]

"""The subsidy policy file (hvpatent.subsidies.policy): the shipped policy and variant, version boundaries, every
wrong value named by file and field, and the user's copy replacing the package's."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
import yaml

from hvpatent.subsidies import PolicyError, load_policy, policy_path
from hvpatent.subsidies.policy import parse_policy

PACKAGE = resources.files("hvpatent.subsidies")
SRC = "test.yaml"


def tiny() -> dict:
    """Two back-to-back versions with one item each (2023 ends the day before 2024 starts)."""
    grant = {"id": "invention_grant", "kind": "invention_grant", "amount_yuan": 5000}
    return {"versions": [
        {"version": "2023", "effective_from": "2023-01-01", "effective_to": "2023-12-31", "region": "500118",
         "source": "test", "items": [dict(grant)]},
        {"version": "2024", "effective_from": date(2024, 1, 1), "effective_to": None, "region": "500118",
         "source": "test", "items": [dict(grant, amount_yuan=2000)]},
    ]}


def with_item(item: dict) -> dict:
    data = tiny()
    data["versions"][0]["items"].append(item)
    return data


def test_shipped_policy_loads_with_its_two_editions():
    p = load_policy(PACKAGE / "policy.yaml")
    assert [v.version for v in p.versions] == ["2022", "2024"]
    v22, v24 = p.versions
    assert (v22.effective_from, v22.effective_to) == (date(2022, 1, 1), date(2023, 12, 31))
    assert (v24.effective_from, v24.effective_to) == (date(2024, 1, 1), None)
    assert v22.region == v24.region == "500118"
    expected = {"invention_grant", "hv_sei", "hv_family_abroad", "hv_maintained_10y", "hv_pledge_high", "hv_award",
                "pct_filing", "grant_abroad", "pledge_interest", "ip_standard", "ip_advantage", "ip_demonstration",
                "navigation_project", "china_patent_award"}
    assert set(p.item_ids()) == expected
    assert {i.id for i in v22.items} == {i.id for i in v24.items} == expected
    # 2024 tilts money from a bare grant to the high-value criteria
    assert v24.item("invention_grant").amount_yuan < v22.item("invention_grant").amount_yuan
    for item_id in ("hv_sei", "hv_family_abroad", "hv_maintained_10y", "hv_pledge_high", "hv_award"):
        assert v24.item(item_id).amount_yuan > v22.item(item_id).amount_yuan, item_id
    assert v24.item("pledge_interest").rate == Decimal("1.0")
    assert v24.item("china_patent_award").amounts["金奖"] == Decimal("500000")
    assert v24.item("grant_abroad").amount_for("US") == Decimal("40000")
    assert v24.item("grant_abroad").amount_for("BR") is None
    assert "永川市监发〔2020〕68号" in v22.source


def test_shipped_variant_loads_and_moves_money_from_grants():
    base = load_policy(PACKAGE / "policy.yaml").versions[-1]
    variant = load_policy(PACKAGE / "variant-example.yaml")
    assert len(variant.versions) == 1 and variant.versions[0].effective_from == date(2025, 1, 1)
    v = variant.versions[0]
    assert v.item("invention_grant").amount_yuan == Decimal("1000") < base.item("invention_grant").amount_yuan
    assert v.item("hv_award").amount_yuan == Decimal("15000") > base.item("hv_award").amount_yuan
    assert set(variant.item_ids()) == {i.id for i in base.items}


@pytest.mark.parametrize(("day", "version"), [
    (date(2022, 12, 31), None), (date(2023, 1, 1), "2023"), (date(2023, 1, 2), "2023"),
    (date(2023, 12, 30), "2023"), (date(2023, 12, 31), "2023"), (date(2024, 1, 1), "2024"),
    (date(2024, 1, 2), "2024"), (date(2099, 1, 1), "2024"),
])
def test_version_on_each_side_of_the_boundaries(day, version):
    found = parse_policy(tiny(), SRC).version_on(day)
    assert (found.version if found else None) == version


def test_version_on_a_closed_last_version_and_a_gap():
    data = tiny()
    data["versions"][1]["effective_from"] = "2024-03-01"
    data["versions"][1]["effective_to"] = "2024-06-30"
    p = parse_policy(data, SRC)
    assert [p.version_on(date(2024, m, d)) for m, d in ((2, 29), (7, 1))] == [None, None]
    assert p.version_on(date(2024, 3, 1)).version == p.version_on(date(2024, 6, 30)).version == "2024"
    assert [v.version for v in p.versions_between(date(2023, 12, 1), date(2024, 3, 1))] == ["2023", "2024"]
    assert [v.version for v in p.versions_between(date(2024, 1, 1), date(2024, 2, 29))] == []


def test_amounts_are_exact_decimals_and_to_dict_is_json_data():
    data = with_item({"id": "pct_filing", "kind": "pct_filing", "amount_yuan": 0.1})
    data["versions"][0]["budget_yuan"] = "1,000,000.50"
    p = parse_policy(data, SRC)
    v = p.versions[0]
    assert v.item("pct_filing").amount_yuan == Decimal("0.1")   # not 0.1000000000000000055…
    assert v.budget_yuan == Decimal("1000000.50")
    assert v.item("pct_filing").subject == "patent" and v.item("pct_filing").name_zh == "PCT 国际专利申请"
    d = p.to_dict()
    assert d["path"] == SRC
    assert d["versions"][0]["effective_from"] == "2023-01-01" and d["versions"][1]["effective_to"] is None
    assert d["versions"][0]["items"][1]["amount_yuan"] == "0.1"
    assert d["versions"][0]["items"][0]["conditions"]["applicant"] == "first"
    import json
    assert json.loads(json.dumps(d)) == d


def set_path(data: dict, path: str, value: object) -> dict:
    """Set a dotted path (versions.0.items.0.amount_yuan) in the data; a value of DELETE removes the key."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()
ITEM0 = "versions.0.items.0"
ABROAD = {"id": "grant_abroad", "kind": "grant_abroad", "amounts": {"US": 30000}}


@pytest.mark.parametrize(("path", "value", "field"), [
    ("versions.0.colour", "red", "versions[0].colour"),                          # unknown keys
    (f"{ITEM0}.amount", 5, "versions[0].items[0].amount"),
    (f"{ITEM0}.conditions", {"town": "x"}, "versions[0].items[0].conditions.town"),
    ("extra", 1, "extra"),
    (f"{ITEM0}.kind", "patent_prize", "versions[0].items[0].kind"),             # kind not in ITEM_KINDS
    (f"{ITEM0}.subject", "enterprise", "versions[0].items[0].subject"),         # subject not matching the kind
    (f"{ITEM0}.amount_yuan", DELETE, "versions[0].items[0].amount_yuan"),       # no amount
    (f"{ITEM0}.rate", 0.5, "versions[0].items[0].amount_yuan"),                 # two of amount/rate/amounts
    (f"{ITEM0}.amount_yuan", -1, "versions[0].items[0].amount_yuan"),           # negative
    (f"{ITEM0}.amount_yuan", "lots", "versions[0].items[0].amount_yuan"),
    (f"{ITEM0}.amount_yuan", True, "versions[0].items[0].amount_yuan"),
    (f"{ITEM0}.cap_per_applicant_year_yuan", -5, "versions[0].items[0].cap_per_applicant_year_yuan"),
    ("versions.0.budget_yuan", -1, "versions[0].budget_yuan"),
    (f"{ITEM0}.clawback_lapse_years", 0, "versions[0].items[0].clawback_lapse_years"),
    (f"{ITEM0}.criterion", "sei", "versions[0].items[0].criterion"),            # criterion on a non-hv item
    (f"{ITEM0}.conditions", {"patent_types": ["gadget"]}, "versions[0].items[0].conditions.patent_types[0]"),
    (f"{ITEM0}.conditions", {"applicant": "last"}, "versions[0].items[0].conditions.applicant"),
    (f"{ITEM0}.conditions", {"applicant_types": ["alien"]}, "versions[0].items[0].conditions.applicant_types[0]"),
    (f"{ITEM0}.conditions", {"region": "5001"}, "versions[0].items[0].conditions.region"),
    (f"{ITEM0}.conditions", {"in_force": "yes"}, "versions[0].items[0].conditions.in_force"),
    ("versions.0.region", "50011", "versions[0].region"),                       # region not 6/9/12 digits
    ("versions.0.region", "5001180010", "versions[0].region"),
    ("versions.0.effective_to", "2022-12-31", "versions[0].effective_to"),      # before effective_from
    ("versions.0.effective_from", "2023-02-30", "versions[0].effective_from"),
    ("versions.0.effective_to", "2024-01-01", "versions[1].effective_from"),    # overlapping versions
    ("versions.0.effective_to", None, "versions[1].effective_from"),
    ("versions.1.version", "2023", "versions[0].version"),                      # repeated version name
    ("versions.0.source", "", "versions[0].source"),
    ("versions.0.items", [], "versions[0].items"),
    ("versions", [], "versions"),
])
def test_each_wrong_value_names_file_and_field(path, value, field):
    with pytest.raises(PolicyError) as err:
        parse_policy(set_path(tiny(), path, value), SRC)
    assert str(err.value).startswith(f"{SRC}: {field}: "), str(err.value)
    assert " / " in str(err.value)   # Chinese and English


@pytest.mark.parametrize(("item", "field"), [
    ({"id": "hv_x", "kind": "high_value_criterion", "criterion": "shiny", "amount_yuan": 1}, "criterion"),
    ({"id": "hv_x", "kind": "high_value_criterion", "amount_yuan": 1}, "criterion"),
    ({"id": "ip_demonstration", "kind": "ip_demonstration", "amounts": {"galactic": 1}}, "amounts.galactic"),
    ({"id": "ip_demonstration", "kind": "ip_demonstration", "amounts": {"national": -1}}, "amounts.national"),
    ({"id": "grant_abroad", "kind": "grant_abroad", "amounts": {"us": 1}}, "amounts.us"),
    ({"id": "grant_abroad", "kind": "grant_abroad", "amounts": {"USA": 1}}, "amounts.USA"),
    ({"id": "grant_abroad", "kind": "grant_abroad", "amounts": {"CN": 1}}, "amounts.CN"),
    ({"id": "grant_abroad", "kind": "grant_abroad", "amounts": {}}, "amounts"),
    ({"id": "china_patent_award", "kind": "china_patent_award", "amounts": {"一等奖": 1}}, "amounts.一等奖"),
    ({"id": "navigation_project", "kind": "navigation_project", "amounts": {"city": 1}}, "amounts.city"),
    ({"id": "pct_filing", "kind": "pct_filing", "amounts": {"US": 1}}, "amounts"),
    ({"id": "pledge_interest", "kind": "pledge_interest", "rate": 1.5}, "rate"),
    ({"id": "pledge_interest", "kind": "pledge_interest", "rate": -0.1}, "rate"),
    ({"id": "pledge_interest", "kind": "pledge_interest", "amount_yuan": 100}, "amount_yuan"),
    ({"id": "pct_filing", "kind": "pct_filing", "rate": 0.5}, "rate"),
    ({"id": "invention_grant", "kind": "invention_grant", "amount_yuan": 1}, "id"),   # id repeats in the version
    ({"id": "Bad-Id", "kind": "pct_filing", "amount_yuan": 1}, "id"),
    ({"id": "ip_standard", "kind": "ip_standard", "amount_yuan": 1, "subject": "patent"}, "subject"),
])
def test_each_wrong_item_names_its_field(item, field):
    with pytest.raises(PolicyError) as err:
        parse_policy(with_item(item), SRC)
    assert str(err.value).startswith(f"{SRC}: versions[0].items[1].{field}: "), str(err.value)


def test_an_item_id_keeps_its_kind_across_versions():
    data = tiny()
    data["versions"][1]["items"][0] = {"id": "invention_grant", "kind": "pct_filing", "amount_yuan": 1}
    with pytest.raises(PolicyError, match=r"^test\.yaml: versions\[1\]\.items\[0\]\.kind: .*invention_grant"):
        parse_policy(data, SRC)


def test_valid_amounts_per_key_and_a_nine_digit_region_pass():
    data = with_item(copy.deepcopy(ABROAD))
    data["versions"][0]["region"] = "500118001"
    data["versions"][0]["items"].append({"id": "ip_demonstration", "kind": "ip_demonstration",
                                         "amounts": {"national": 300000, "district": 20000}})
    data["versions"][0]["items"].append({"id": "china_patent_award", "kind": "china_patent_award",
                                         "amounts": {"金奖": 1, "银奖": 2, "优秀奖": 3}})
    v = parse_policy(data, SRC).versions[0]
    assert v.region == "500118001"
    assert v.item("ip_demonstration").amount_for("district") == Decimal("20000")
    assert v.item("ip_demonstration").subject == "enterprise"
    assert v.item("china_patent_award").amount_for("优秀奖") == Decimal("3")


@pytest.mark.parametrize(("content", "why"), [
    (b"- just\n- a list\n", "(top)"),
    (b"versions: [\n", "YAML"),
    ("versions: []\n".encode("gb18030") + "# 资助\n".encode("gb18030"), "UTF-8"),
    (b"#" * (1024 * 1024 + 1), "1 MiB"),
    (b"[" * 5000 + b"]" * 5000, "nested"),
    (b"versions:\n  - effective_from: 2025-02-30\n", "invalid value"),
])
def test_bad_files_name_the_file(tmp_path, content, why):
    file = tmp_path / "bad.yaml"
    file.write_bytes(content)
    with pytest.raises(PolicyError) as err:
        load_policy(file)
    assert str(err.value).startswith(f"{file}: ") and why in str(err.value), str(err.value)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(PolicyError, match=r"nothing\.yaml"):
        load_policy(tmp_path / "nothing.yaml")


def test_user_copy_replaces_the_package_policy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from hvpatent.reference.userconfig import user_config_dir

    assert policy_path().name == "policy.yaml"           # no user copy yet: the package's
    assert [v.version for v in load_policy().versions] == ["2022", "2024"]
    folder = user_config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = tiny()
    data["versions"][1]["version"] = "mine"
    (folder / "subsidies.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert policy_path() == folder / "subsidies.yaml"
    p = load_policy()
    assert [v.version for v in p.versions] == ["2023", "mine"] and p.path == str(folder / "subsidies.yaml")

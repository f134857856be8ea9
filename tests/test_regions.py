import pytest

from hvpatent.reference.regions import all_regions, attribute, towns_of


def test_yongchuan_has_its_7_streets_and_16_towns():
    towns = towns_of("500118")
    assert len(towns) == 23
    assert sum(t.name.endswith("街道") for t in towns) == 7
    assert {"中山路街道", "卫星湖街道", "朱沱镇", "青峰镇"} <= {t.name for t in towns}


def test_codes_are_unique():
    codes = [r.code for r in all_regions()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("address", "county", "town"), [
    ("重庆市永川区胜利路街道人民大道1号", "500118", "500118002000"),
    ("重庆永川区来苏镇观音井村", "500118", "500118111000"),
    ("重庆市永川区凤凰湖工业园", "500118", None),
    ("重庆市沙坪坝区大学城", "500106", None),
    ("重庆市石柱土家族自治县南宾街道", "500240", None),
])
def test_chongqing_addresses(address, county, town):
    found = attribute(address)
    assert (found.province_code, found.county_code, found.town_code) == ("500000", county, town)


def test_other_provinces_resolve_to_province():
    assert attribute("江苏省南京市玄武区").province_code == "320000"
    assert attribute("广西壮族自治区南宁市").province_code == "450000"


def test_name_is_the_fallback_when_the_address_is_missing():
    assert attribute(None, "重庆市永川区甲科技有限公司").county_code == "500118"
    assert attribute("", "北京某某有限公司").province_code == "110000"


def test_unresolvable():
    assert not attribute("Tokyo, Japan", "ACME Corp").resolved
    # A bare "永川" without 重庆 or 区 is ambiguous and left alone.
    assert attribute("永川路88号").county_code is None

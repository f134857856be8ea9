from datetime import date

import pytest

from hvpatent.ingest.fields import (
    EventVocabulary,
    adjusted_term_end,
    builtin_vocabulary,
    check_credit_code,
    classify_event,
    classify_party,
    has_event_date,
    is_grant_kind,
    normalize_name,
    parse_date,
    parse_family_member,
    parse_ipc,
    printable,
    split_event,
    split_multi,
    stated_effective_date,
)


@pytest.mark.parametrize("raw", ["2020-01-05", "2020.01.05", "2020/1/5", "20200105", "2020年1月5日",
                                 "2020-01-05 00:00:00"])
def test_dates(raw):
    assert parse_date(raw) == date(2020, 1, 5)


@pytest.mark.parametrize("raw", ["2020-02-30", "05/01/2020", "1900-01-01", "soon"])
def test_bad_dates_raise(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_empty_date_is_none():
    assert parse_date("") is None and parse_date(None) is None


@pytest.mark.parametrize(("raw", "code"), [
    ("H01M 10/052 (2010.01)", "H01M10/052"), ("h01m10/52", "H01M10/52"), ("G06F0016/20", "G06F16/20"),
    ("A61K", "A61K"), ("B64U 10/13", "B64U10/13"),
])
def test_ipc(raw, code):
    assert parse_ipc(raw) == code


@pytest.mark.parametrize("raw", ["Z01M10/052", "H1M10/05", "H01M10/", "电池"])
def test_bad_ipc(raw):
    with pytest.raises(ValueError):
        parse_ipc(raw)


def test_split_multi_values():
    assert split_multi("甲公司；乙大学;丙 | 丁") == ["甲公司", "乙大学", "丙", "丁"]
    assert split_multi("H01M10/052, G06F16/20", ipc=True) == ["H01M10/052", "G06F16/20"]


@pytest.mark.parametrize(("text", "kind"), [
    ("未缴年费专利权终止", "annuity_lapse"), ("专利权的恢复", "restoration"), ("授权", "granted"),
    ("发明专利申请公布后的视为撤回", "deemed_withdrawn"), ("发明专利申请公布后的驳回", "rejected"),
    ("专利权全部无效", "invalidated_full"), ("专利权部分无效", "invalidated_partial"),
    ("专利权有效期届满", "expiry"), ("专利权质押合同登记的生效", "pledge_registered"),
    ("专利权质押合同登记的注销", "pledge_released"), ("专利权的转移", "transfer"),
    ("专利实施许可合同备案的生效", "licence"), ("实质审查的生效", "examination"),
    ("发明专利申请公布", "published"), ("避免重复授权放弃专利权", "surrendered"),
])
def test_event_classification(text, kind):
    assert classify_event(text) == kind


def test_split_event():
    assert split_event("2021-09-10 未缴年费专利权终止") == (date(2021, 9, 10), "未缴年费专利权终止")
    assert split_event("授权(2020.01.05)") == (date(2020, 1, 5), "授权")
    with pytest.raises(ValueError, match="缺少日期"):
        split_event("授权")


@pytest.mark.parametrize(("name", "kind"), [
    ("重庆长安汽车股份有限公司", "enterprise"), ("重庆文理学院", "university"), ("重庆大学", "university"),
    ("中国科学院重庆绿色智能技术研究院", "institute"), ("张伟", "individual"),
    ("重庆市永川区人民医院", "government"), ("重庆某某研究院有限公司", "enterprise"),
])
def test_party_types(name, kind):
    assert classify_party(name) == kind


def test_name_normalisation_folds_widths_and_spaces():
    assert normalize_name("重庆（永川） 科技 有限公司") == normalize_name("重庆(永川)科技有限公司")


def test_family_members_and_grant_kinds():
    assert parse_family_member("US2021123456A1") == ("US", "US2021123456A1", "A1")
    assert parse_family_member("EP 3812345 B1")[0] == "EP"
    assert is_grant_kind("US", "B2") and is_grant_kind("EP", "B1")
    assert not is_grant_kind("US", "A1") and not is_grant_kind("WO", "A1") and not is_grant_kind("JP", None)


def test_credit_code_check():
    # A published example from GB 32100-2015 practice: 91350100M000100Y43
    assert check_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="校验位"):
        check_credit_code("91350100M000100Y44")
    with pytest.raises(ValueError, match="18位"):
        check_credit_code("123")


@pytest.mark.parametrize(("text", "kind"), [
    # Rule-order pitfalls (events.yaml):
    ("专利权人的姓名或者名称、地址的变更", "bibliographic_change"),  # not a transfer
    ("专利申请权、专利权的转移", "transfer"),
    ("专利权维持有效", "other"),                                   # a failed invalidation request
    ("专利权质押合同登记的注销", "pledge_released"), ("专利权质押合同登记的变更", "pledge_changed"),
    ("视为放弃取得专利权", "deemed_withdrawn"),                     # before grant: no right at all
    ("专利权的视为放弃", "surrendered"), ("专利权的主动放弃", "surrendered"),
    ("专利权期限补偿 届满日期：2041-05-01", "term_adjustment"),      # not an expiry although it says 届满
    ("专利实施许可合同备案的注销", "licence"), ("专利权的终止", "annuity_lapse"),
    ("未缴年费专利权终止，等恢复", "annuity_lapse"), ("权利恢复", "restoration"),
    # PatSnap and incoPat words
    ("未缴年费", "annuity_lapse"), ("权利转移", "transfer"), ("转让", "transfer"), ("期限届满", "expiry"),
    ("避免重复授权", "granted"), ("全部无效", "invalidated_full"), ("保全", "other"), ("实质审查", "examination"),
])
def test_event_vocabulary_order(text, kind):
    assert classify_event(text) == kind


def test_unknown_words_are_told_apart_from_known_other():
    vocabulary = builtin_vocabulary()
    assert vocabulary.match("保全") == ("other", True)
    assert vocabulary.match("海外维权备案") == ("other", False)
    assert vocabulary.state("有效") == "in_force" and vocabulary.state("PCT指定期满") == "ended"
    assert vocabulary.state("审中") == "pending" and vocabulary.state("授权日") is None


def test_user_rules_come_first():
    vocabulary = builtin_vocabulary().extended({"rules": [{"words": ["信托"], "type": "transfer"}],
                                                "states": {"未确认": "pending"}})
    assert vocabulary.match("信托") == ("transfer", True) and vocabulary.state("未确认") == "pending"
    with pytest.raises(ValueError, match="type"):
        builtin_vocabulary().extended({"rules": [{"words": ["x"], "type": "nonsense"}]})


@pytest.mark.parametrize("item", ["2020-06-19 授权", "授权(2020.06.19)", "20200619 授权", "授权（2020年6月19日）"])
def test_split_event_formats(item):
    assert split_event(item) == (date(2020, 6, 19), "授权")


def test_effective_dates_stated_in_event_text():
    assert stated_effective_date("未缴年费专利权终止 未缴年费终止日：2020.04.10") == date(2020, 4, 10)
    assert stated_effective_date("未缴年费专利权终止") is None
    # 20 years from 2019-01-15 is 2039-01-15; + 100 days (16 + 28 + 31 + 25) = 2039-04-25
    assert adjusted_term_end("专利权期限补偿 补偿天数：100天", date(2019, 1, 15), "invention") == date(2039, 4, 25)
    assert adjusted_term_end("专利权期限补偿 届满日期：2041-05-01", date(2019, 1, 15), "invention") == date(2041, 5, 1)
    assert adjusted_term_end("专利权期限补偿", date(2019, 1, 15), "invention") is None
    # filed 29 February 2004: twenty years later is 29 February 2024 (a leap year), + 1 day = 1 March
    assert adjusted_term_end("期限补偿 补偿1天", date(2004, 2, 29), "invention") == date(2024, 3, 1)
    assert adjusted_term_end("期限补偿 补偿1天", date(2019, 1, 15), "utility_model") is None  # inventions only


@pytest.mark.parametrize("item", [
    "未缴年费专利权终止 未缴年费终止日：2020.03.15",   # the day the right ended, announced months later
    "未缴年费专利权终止 终止日期 2020-03-15",
    "专利权期限补偿 届满日：2041-05-01",               # the end of the compensated term
    "专利权期限补偿 补偿后届满日为2041-05-01",
    "专利权期限补偿（补偿至2041-05-01）",
])
def test_a_labelled_date_is_a_detail_not_the_event_date(item):
    assert not has_event_date(item)
    with pytest.raises(ValueError, match="缺少日期"):
        split_event(item)


def test_the_event_date_leads_or_closes_the_item_and_details_stay_in_the_text():
    assert split_event("2020-11-20 未缴年费专利权终止 未缴年费终止日：2020.03.15") == (
        date(2020, 11, 20), "未缴年费专利权终止 未缴年费终止日：2020.03.15")
    assert split_event("专利权期限补偿 届满日：2041-05-01（2023.08.01）") == (
        date(2023, 8, 1), "专利权期限补偿 届满日：2041-05-01")
    assert split_event("授权 2020-06-19") == (date(2020, 6, 19), "授权")


def test_an_impossible_detail_date_is_a_value_error():
    with pytest.raises(ValueError, match=r"2020\.02\.30"):
        stated_effective_date("未缴年费专利权终止 未缴年费终止日：2020.02.30")
    with pytest.raises(ValueError, match="2041-02-30"):
        adjusted_term_end("专利权期限补偿 届满日：2041-02-30", date(2019, 1, 15), "invention")


def test_the_vocabulary_remembers_its_answers(monkeypatch):
    vocabulary = builtin_vocabulary().extended({})
    calls = []
    real = EventVocabulary._match
    monkeypatch.setattr(EventVocabulary, "_match", lambda self, text: calls.append(text) or real(self, text))
    for _ in range(3):
        assert vocabulary.match("未缴年费专利权终止") == ("annuity_lapse", True)
        assert vocabulary.match("海外维权备案") == ("other", False)
    assert calls == ["未缴年费专利权终止", "海外维权备案"]  # each text worked out once, for every importer
    assert builtin_vocabulary().extended({"rules": [{"words": ["维权"], "type": "other"}]}).match(
        "海外维权备案") == ("other", True)  # an extended vocabulary does not reuse the old answers


def test_printable_drops_control_characters_but_keeps_tabs_and_line_breaks():
    assert printable("a\x00b\x07c\td\ne\x7f") == "abc\td\ne"

"""The country of an applicant from its address: ISO 3166-1 alpha-2 codes for ``parties.country``.

What CNIPA's forms need is the origin of the first applicant (国内: mainland China, with Hong Kong, Macao
and Taiwan as rows of their own; 国外: every other country), see indicators/base.origin_of and
docs/applicant-categories.md.  Names come from the ISO 3166-1 tables of the ``pycountry`` package (English
names, and its zh_CN translations from Debian's iso-codes) and from the short names below, which Chinese
addresses use: 日本 rather than the table's 日本国, 韩国 rather than 大韩民国.  The short names are those of
the Ministry of Foreign Affairs of the PRC's country pages (外交部 国家和组织, www.mfa.gov.cn, 简称).
"""

from __future__ import annotations

import gettext
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from hvpatent.reference.regions import Attribution, all_regions, attribute
from hvpatent.warehouse.derived import fingerprint_of, forget, once_per_digest

if TYPE_CHECKING:
    import duckdb

    from hvpatent.warehouse.store import Warehouse

# Province-level codes of the regions with their own rows in the forms.
_REGION_COUNTRY = {"710000": "TW", "810000": "HK", "820000": "MO"}
# The countries of 国内 (domestic) in CNIPA's forms: the mainland, Hong Kong, Macao, Taiwan.
DOMESTIC = frozenset({"CN", "HK", "MO", "TW"})

# Chinese short names (外交部 国家和组织 简称) of the countries most patent applicants in China come from, and
# the names addresses use for Taiwan, Hong Kong and Macao.
SHORT_NAMES_ZH = {
    "中国": "CN", "中华人民共和国": "CN",
    "台湾": "TW", "台湾省": "TW", "中国台湾": "TW", "香港": "HK", "中国香港": "HK", "澳门": "MO", "中国澳门": "MO",
    "日本": "JP", "日本国": "JP", "美国": "US", "美利坚合众国": "US", "韩国": "KR", "大韩民国": "KR",
    "朝鲜": "KP", "德国": "DE", "法国": "FR", "英国": "GB", "瑞士": "CH", "荷兰": "NL", "瑞典": "SE", "芬兰": "FI",
    "意大利": "IT", "丹麦": "DK", "挪威": "NO", "比利时": "BE", "奥地利": "AT", "西班牙": "ES", "葡萄牙": "PT",
    "爱尔兰": "IE", "卢森堡": "LU", "以色列": "IL", "加拿大": "CA", "澳大利亚": "AU", "新西兰": "NZ",
    "新加坡": "SG", "印度": "IN", "俄罗斯": "RU", "巴西": "BR", "墨西哥": "MX", "马来西亚": "MY", "泰国": "TH",
    "越南": "VN", "印度尼西亚": "ID", "菲律宾": "PH", "沙特阿拉伯": "SA", "阿联酋": "AE", "土耳其": "TR",
    "波兰": "PL", "捷克": "CZ", "匈牙利": "HU", "南非": "ZA", "开曼群岛": "KY", "英属维尔京群岛": "VG",
    "百慕大": "BM", "列支敦士登": "LI", "摩纳哥": "MC", "塞浦路斯": "CY", "希腊": "GR",
}
# English spellings addresses use beside the ISO names.
ALIASES_EN = {
    "USA": "US", "U.S.A.": "US", "U.S.": "US", "UNITED STATES": "US", "UK": "GB", "U.K.": "GB",
    "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "KOREA": "KR", "SOUTH KOREA": "KR",
    "REPUBLIC OF KOREA": "KR", "TAIWAN": "TW", "HONG KONG": "HK", "MACAU": "MO", "MACAO": "MO", "RUSSIA": "RU",
    "P.R. CHINA": "CN", "P.R.CHINA": "CN", "PRC": "CN", "THE NETHERLANDS": "NL", "HOLLAND": "NL",
    "CZECH REPUBLIC": "CZ", "VIETNAM": "VN", "IRAN": "IR", "UAE": "AE",
}
# ISO names that are also names of places elsewhere (a US state, a US city, a river, a surname): never read
# from an English address (such an applicant stays of unknown origin unless the source states its country).
_AMBIGUOUS_EN = {"GEORGIA", "JERSEY", "JORDAN", "CHAD", "NIGER", "TURKEY", "GUERNSEY", "PANAMA", "MALI"}


# After a country's Chinese name, what makes it the start of a Chinese place name instead: an administrative or
# place suffix, possibly after a direction (黑山县, 黑山路, 蒙古族自治县, 巴林左旗).  The short names above count
# whatever follows them (日本国东京都, 美国加州).
_PLACE_SUFFIX = re.compile(r"[左右前后中东西南北]?[县旗镇乡村区市路街道巷里屯庄寨族州盟省]")


@cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(Chinese name -> code, upper-case English name -> code)."""
    import pycountry

    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    chinese: dict[str, str] = {}
    english: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if not value:
                continue
            english.setdefault(value.upper(), country.alpha_2)
            translated = zh.gettext(value)
            if translated != value:
                chinese.setdefault(translated, country.alpha_2)
    chinese.update(SHORT_NAMES_ZH)
    english.update(ALIASES_EN)
    return chinese, english


@cache
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, dict[str, str], dict[str, str]]:
    chinese, english = _tables()
    by_length = sorted(chinese, key=len, reverse=True)
    zh_start = re.compile("|".join(re.escape(n) for n in by_length))
    # Inside an address, only the short names written by hand: the ISO table's translations include short,
    # common words (中非 is also 中国-非洲).
    zh_inside = re.compile("|".join(re.escape(n) for n in sorted(SHORT_NAMES_ZH, key=len, reverse=True)))
    en_names = sorted(english, key=len, reverse=True)
    en = re.compile(r"(?<![A-Z])(?:" + "|".join(re.escape(n) for n in en_names) + r")(?![A-Z])")
    return zh_start, zh_inside, en, chinese, english


def valid_code(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code as stated by a source (Google's assignee country), or None."""
    if not code:
        return None
    text = str(code).strip().upper()
    return text if text in _codes() else None


@cache
def _codes() -> frozenset[str]:
    return frozenset(_tables()[1].values())


@cache
def _places_named_like_countries() -> tuple[str, ...]:
    """Chinese regions (counties, towns) whose names begin with a country's Chinese name in the ISO table:
    巴林左旗 (巴林, Bahrain), 黑山寺乡 (黑山, Montenegro), 也门勒乡 (也门, Yemen)."""
    chinese = sorted((n for n in _tables()[0] if n not in SHORT_NAMES_ZH), key=len, reverse=True)
    starts = re.compile("|".join(re.escape(n) for n in chinese))
    names = {r.name for r in all_regions()
             if r.level != "province" and (found := starts.match(r.name)) and found.end() < len(r.name)}
    return tuple(sorted(names, key=len, reverse=True))


def _country_at_start(head: str) -> tuple[str | None, bool]:
    """(the country whose Chinese name begins the address, whether the address instead begins with the name of
    a Chinese region).  A name of the ISO table counts only when no place suffix follows it, it does not begin
    a Chinese region's name and the address does not resolve to a region of China (regions.attribute)."""
    zh_start, _, _, chinese, _ = _patterns()
    found = zh_start.match(head)
    if not found:
        return None, False
    name = found.group(0)
    if name in SHORT_NAMES_ZH:
        return chinese[name], False
    if head.startswith(_places_named_like_countries()):
        return None, True
    if _PLACE_SUFFIX.match(head, found.end()) or attribute(head).resolved:
        return None, False
    return chinese[name], False


def _strip(address: str) -> str:
    # A postcode, brackets and spaces before the country: "100080 日本国…", "(JP) 东京都"
    return re.sub(r"^[\s\d(（）)\-,.，:：]+", "", address)


@lru_cache(maxsize=200_000)
def country_of(address: str | None, name: str | None = None, stated: str | None = None) -> str | None:
    """The applicant's country: ISO 3166-1 alpha-2 ('CN' mainland, 'HK', 'MO', 'TW', …), or None.

    In this order: a country named at the start of the address (日本国东京都…; KANAGAWA-KEN is not
    one, nor 黑山县 or 巴林左旗, Chinese places beginning with a country's name: those are 'CN'); a region
    the address resolves to (reference/regions.attribute: a mainland province is 'CN', Hong Kong, Macao and
    Taiwan their own codes); a country named inside the address (the last English one:
    "Tokyo, Japan"); the country a source states (``stated``); a region the name resolves to; else None.
    """
    text = (address or "").strip()
    _, zh_inside, en, chinese, english = _patterns()
    if text:
        head = _strip(text)
        country, chinese_place = _country_at_start(head)
        if chinese_place:
            return "CN"
        if country and country != "CN":
            return country
        upper = head.upper()
        words = [w for w in en.findall(upper) if w not in _AMBIGUOUS_EN]
        if words and upper.startswith(words[0]) and english[words[0]] != "CN":
            return english[words[0]]
        where = attribute(text)
        if where.province_code:
            return _REGION_COUNTRY.get(where.province_code, "CN")
        inside = [english[w] for w in words]
        if inside:
            return inside[-1]
        bracketed = re.search(r"[(（]([A-Z]{2})[)）]\s*$", upper)  # "… Tokyo 105-8001 (JP)"
        if bracketed and valid_code(bracketed.group(1)):
            return bracketed.group(1)
        found = zh_inside.search(head)
        if found:
            return chinese[found.group(0)]
    if valid_code(stated):
        return valid_code(stated)
    if name and name.strip():
        where = attribute(None, name)
        if where.province_code:
            return _REGION_COUNTRY.get(where.province_code, "CN")
    return None


def locate(address: str | None, name: str | None, stated: str | None = None) -> tuple[Attribution, str | None]:
    """An importer's party: (its region, its country).  The region is the address's, else the name's
    (regions.attribute); but a party whose address (or the source) puts it abroad is not placed in China by its
    name: 上海电气日本株式会社 at 日本国东京都… is in Japan, not Shanghai, and 香港上海汇丰银行有限公司 at 新加坡 in
    Singapore, not Hong Kong."""
    country = country_of(address, name, stated)
    if country is not None and country not in DOMESTIC:
        return Attribution(), country
    return attribute(address, name), country


# A derived_meta row: the digest of the country rules with which the stored parties.country left NULL were read.
PARTY_COUNTRIES = "party_countries"
# Bump when country_of reads addresses otherwise (2: a country's ISO name beginning a Chinese place is not one).
COUNTRY_RULES_VERSION = 2


def countries_digest() -> str:
    """A digest of what country_of reads with: the short names, aliases, ambiguous names, the ISO tables'
    version (pycountry) and the reading's version."""
    from importlib.metadata import version

    return fingerprint_of({"version": COUNTRY_RULES_VERSION, "short": SHORT_NAMES_ZH, "aliases": ALIASES_EN,
                           "ambiguous": sorted(_AMBIGUOUS_EN), "pycountry": version("pycountry")})


def fill_party_countries(warehouse: Warehouse) -> int:
    """Read the country of the parties that have none (``parties.country`` NULL: rows of a warehouse older than
    the column, which a re-import does not fill, the country being outside the content hash), once per digest of
    the country rules; a country already stored (stated by Google, read at import) is never overwritten.  Like an
    import (:func:`locate`), a party found abroad loses the region its name gave it.  Each distinct (address,
    name) is read once; the stored first applicants are forgotten, so the refresh that follows rebuilds them.
    Returns the parties filled."""
    import pyarrow as pa

    def read(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str, str]]:
        pairs = con.execute("SELECT DISTINCT address, name FROM parties WHERE country IS NULL").fetchall()
        return [(address, name, country) for address, name in pairs if (country := country_of(address, name))]

    def write(con: duckdb.DuckDBPyConnection, found: list[tuple[str | None, str, str]]) -> int:
        if not found:
            return 0
        located = pa.table({"address": pa.array([f[0] for f in found], pa.string()),  # noqa: F841 (by name)
                            "name": pa.array([f[1] for f in found], pa.string()),
                            "country": pa.array([f[2] for f in found], pa.string()),
                            "abroad": pa.array([f[2] not in DOMESTIC for f in found], pa.bool_())})
        regions = ", ".join(f"{c} = CASE WHEN r.abroad THEN NULL ELSE parties.{c} END"
                            for c in ("province_code", "city_code", "county_code", "town_code", "town_source"))
        count = con.execute(f"""UPDATE parties SET country = r.country, {regions} FROM located r
                                WHERE parties.country IS NULL AND parties.name = r.name
                                  AND parties.address IS NOT DISTINCT FROM r.address""").fetchall()[0][0]
        # Only the first applicants read the parties' countries and regions: that table is rebuilt whole
        # (seconds at a million applications), not every derived table of every application changed.
        forget(con, "first_applicants")
        return count

    return once_per_digest(warehouse, PARTY_COUNTRIES, countries_digest(), read, write)

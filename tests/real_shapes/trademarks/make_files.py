"""Writes the trademark real-shape corpus of this folder (run from the repository root to regenerate).

Each file copies the header row and cell conventions of one source (docs/importing.md, "Trademark records"):
the trademark office's search (中国商标网 商标详情 fields and 商标流程 lines), a commercial database's export
with a title row and its change records, and a hostile file.  Registration numbers, names and events are
invented; the rows, events and town codes they lead to are worked by hand in expected.yaml.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

# 中国商标网 商标详情 fields (商标综合查询), as its detail page names them.
CNIPA = ["注册号/申请号", "国际分类号", "申请日期", "商标名称", "申请人名称(中文)", "申请人地址(中文)", "初审公告期号",
         "初审公告日期", "注册公告期号", "注册公告日期", "专用权期限", "商标类型", "是否共有商标", "国际注册日期",
         "后期指定日期", "优先权日期", "代理/办理机构", "类似群", "商标流程"]

SHENGLI = "重庆市永川区胜利路街道人民大道1号"
ZHUTUO = "重庆市永川区朱沱镇临江路8号"
WEIXINGHU = "重庆市永川区卫星湖街道南华路66号"
CHASHAN = "重庆市永川区茶山竹海街道竹海路3号"


def _cnipa(reg, classes, filed, name, owner, address, prelim, registered, term, kind="普通商标", intl="",
           groups="", process="", agency="重庆某商标代理有限公司"):
    return [reg, classes, filed, name, owner, address, "1450" if prelim else "", prelim, "1462" if registered else "",
            registered, term, kind, "否", intl, "", "", agency, groups, process]


def cnipa_search() -> None:
    rows = [
        CNIPA,
        # Multi-class, renewed in the window: the term shown runs to the end of the second term.
        _cnipa("12345678", "9;35", "2014年05月06日", "永甲", "重庆永川甲科技有限公司", SHENGLI, "2015年02月13日",
               "2015年03月14日", "2015年03月14日 至 2035年03月13日", groups="0901;0907;3501",
               process="商标注册申请---申请收文---结束---2014年05月06日；商标注册申请---受理通知书发文---结束---"
                       "2014年06月10日；商标续展---申请收文---结束---2024年03月01日；商标续展---核准续展注册证明打印发送"
                       "---结束---2024年06月01日"),
        # Transferred (核准转让): an approved transfer is an event; its request is not.
        _cnipa("8765432", "30", "2010-11-02", "竹海春", "重庆茶山竹海茶业有限公司", ZHUTUO, "2011-09-06",
               "2011-12-07", "2011-12-07至2031-12-06", groups="3002",
               process="商标转让---申请收文---2019-10-08；商标转让---核准转让证明打印发送---结束---2020-01-10；"
                       "商标续展---申请收文---2021-05-20；商标续展---核准续展注册证明打印发送---2021-09-30"),
        # Cancelled for three years' non-use (撤三, art. 49(2)).
        _cnipa("7654321", "43", "2009-03-03", "卫星楼", "重庆卫星湖餐饮管理有限公司", WEIXINGHU, "2009-12-13",
               "2010-03-14", "2010-03-14 至 2020-03-13",
               process="撤销连续三年不使用注册商标申请---申请收文---2021-03-01；撤销连续三年不使用注册商标申请---"
                       "核准通知打印发送---结束---2022-05-10"),
        # Cancelled on the owner's request (Impl. Regs art. 73): effective the day the request was received.
        _cnipa("23450001", "29", "2016-04-01", "松香", "重庆永川丁食品有限公司", CHASHAN, "2016-12-20",
               "2017-03-21", "2017年03月21日 至 2027年03月20日",
               process="商标注销---申请收文---2023-02-01；商标注销---核准通知打印发送---结束---2023-04-10"),
        # Invalidated (art. 44/45), an opposition that failed, a refusal.
        _cnipa("23450002", "31", "2017-01-05", "红炉香", "重庆永川戊农业有限公司", WEIXINGHU, "2017-09-06",
               "2017-12-07", "2017-12-07至2027-12-06",
               process="商标无效宣告---申请收文---2019-08-01；商标无效宣告---无效宣告完成---结束---2021-02-02"),
        _cnipa("40000001", "9", "2020-01-01", "丙芯", "重庆永川丙新能源有限公司", SHENGLI, "2020-09-06",
               "2021-12-07", "2021年12月07日 至 2031年12月06日",
               process="商标异议---申请收文---2020-11-20；商标异议---准予注册决定---结束---2021-10-12"),
        _cnipa("50000001", "35", "2023-01-10", "永川好", "重庆永川己商贸有限公司", SHENGLI, "", "", "",
               process="商标注册申请---申请收文---2023-01-10；商标注册申请---驳回通知发文---2023-09-01"),
        # In grace on the export day: term ended 2024-01-06, no renewal filed (grace to 2024-07-06).
        _cnipa("11111111", "30", "2012-06-01", "朱沱老张", "张三", ZHUTUO, "2013-10-06", "2014-01-07",
               "2014年01月07日 至 2024年01月06日",
               process="商标注册申请---申请收文---2012-06-01；乙类流程试验---2022-02-02"),
        # A Madrid international registration designating China, owner abroad.
        _cnipa("G1234567", "9", "", "ACMEX", "ACME GMBH", "Berliner Str. 1, 10115 Berlin, Germany", "", "2018-05-10",
               "2018年05月10日 至 2028年05月09日", intl="2018-05-10", agency=""),
        # A geographical indication registered as a certification mark.
        _cnipa("9876543", "30", "2009-06-16", "永川秀芽", "重庆市永川区茶叶行业协会", CHASHAN, "2010-06-20",
               "2010-09-21", "2010年09月21日 至 2030年09月20日", kind="证明商标（地理标志）"),
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = "商标查询结果"
    for row in rows:
        ws.append(row)
    wb.properties.created = datetime(2024, 6, 30, 2, 0, 0)  # 10:00 Beijing time: exported 2024-06-30
    wb.save(HERE / "cnipa_search.xlsx")


def cnipa_steps() -> None:
    """中国商标网 rows whose 商标流程 holds steps of a 撤三, a 注销 or a renewal that are not its outcome (a notice, a
    correction, a refusal to accept, a withdrawn request, a decision sent without its outcome, a refused renewal),
    and Madrid registrations without a 注册公告日期."""
    steps = [
        CNIPA,
        # A 撤三 request: evidence of use asked for, then the request withdrawn.  The mark stays.
        _cnipa("31000001", "43", "2010-03-03", "留客", "重庆卫星湖餐饮管理有限公司", WEIXINGHU, "2010-12-13",
               "2011-03-14", "2011-03-14至2021-03-13",
               process="撤销连续三年不使用注册商标申请---申请收文---2019-03-01；撤销连续三年不使用注册商标---"
                       "撤三提供使用证据通知发文---2019-04-15；撤销连续三年不使用注册商标---撤回---2019-06-01"),
        # A 撤三 decision sent without its outcome, and one that refuses to cancel (不予撤销): both keep the mark.
        _cnipa("31000002", "43", "2010-03-03", "留香", "重庆卫星湖餐饮管理有限公司", WEIXINGHU, "2010-12-13",
               "2011-03-14", "2011-03-14至2021-03-13",
               process="撤销连续三年不使用注册商标申请---申请收文---2019-03-01；撤销连续三年不使用注册商标---"
                       "撤三决定书发文---结束---2020-05-10；撤销连续三年不使用注册商标---不予撤销决定---2020-05-11"),
        # A 注销 request corrected, then not accepted: the mark stays.
        _cnipa("31000003", "29", "2016-04-01", "松风", "重庆永川丁食品有限公司", CHASHAN, "2016-12-20",
               "2017-03-21", "2017-03-21至2027-03-20",
               process="注销商标---申请收文---2023-02-01；注销商标---补正通知发文---2023-02-10；"
                       "注销商标---不予受理---2023-03-10"),
        # A renewal filed in the window, a correction asked for, then not accepted: filed, not renewed.
        _cnipa("31000004", "9", "2013-02-02", "永丰", "重庆永川甲科技有限公司", SHENGLI, "2014-03-06",
               "2014-06-07", "2014-06-07至2024-06-06",
               process="商标续展---申请收文---2024-01-10；商标续展---补正通知发文---2024-02-01；"
                       "商标续展---不予受理---2024-03-01"),
        # A renewal refused (驳回): not a refused application (the mark was registered), and not renewed.
        _cnipa("31000005", "35", "2013-02-02", "永盛", "重庆永川甲科技有限公司", SHENGLI, "2014-03-06",
               "2014-06-07", "2014-06-07至2024-06-06",
               process="商标续展---申请收文---2024-01-10；商标续展---驳回通知发文---2024-04-01"),
        # Madrid: no 注册公告日期; protected from the international registration date (Madrid Protocol art. 4(1)),
        # its term as WIPO states it (to the anniversary, kept as given).
        _cnipa("G2345678", "9", "", "BETAX", "BETA SA", "12 rue de Lyon, 75012 Paris, France", "", "",
               "2019年07月15日 至 2029年07月15日", intl="2019-07-15", agency=""),
        # Madrid, China designated later (后期指定): protected from the designation's recordal, ending with the
        # international registration: a term of less than 10 years.
        _cnipa("G3456789", "35", "", "GAMMA", "GAMMA AG", "Bahnhofstrasse 1, 8001 Zürich, Switzerland", "", "",
               "2020-09-10至2026-02-01", intl="2016-02-01", agency=""),
    ]
    steps[-1][CNIPA.index("后期指定日期")] = "2020-09-10"
    with (HERE / "cnipa_steps.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(steps)


COMMERCIAL = ["序号", "商标名称", "注册号", "国际分类", "商标状态", "申请日期", "申请人", "代理机构", "初审公告日期",
              "注册公告日期", "专用权期限开始", "专用权期限结束", "商标类型"]


def commercial() -> None:
    rows = [
        ["企查查 商标信息  导出时间：2024-05-31"],
        COMMERCIAL,
        # The same mark as cnipa_search.xlsx, one month older: an earlier view that must change nothing there.
        [1, "永甲", "12345678", "第9类 科学仪器", "商标已注册", "2014/05/06", "重庆永川甲科技有限公司",
         "重庆某商标代理有限公司", "2015/02/13", "2015/03/14", "2015/03/14", "2025/03/13", "普通商标"],
        [2, "竹乡味", "23456789", "第30类 方便食品", "商标已注册", "2016/02/01", "重庆永川乙食品有限公司", "",
         "2016/10/13", "2017/01/14", "2017/01/14", "2027/01/13", "普通商标"],
        [3, "旧招牌", "34567890", "第43类 餐饮住宿", "商标已注销", "2008/03/03", "李四", "", "2008/12/13",
         "2009/03/14", "2009/03/14", "2019/03/13", "普通商标"],
        [4, "永川豆豉", "45678901", "第29类 食品", "商标已注册", "2011/04/05", "重庆市永川区豆豉行业协会", "",
         "2012/01/20", "2012/04/21", "2012/04/21", "2022/04/20", "集体商标（地理标志）"],
        [5, "新芯", "56789012", "9", "等待实质审查", "2024/03/01", "重庆永川丙新能源有限公司", "", "", "", "", "",
         "普通商标"],
    ]
    with (HERE / "commercial_qcc.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


CHANGES = ["注册号", "国际分类", "变更事项", "变更日期", "变更前", "变更后"]


def changes() -> None:
    rows = [
        CHANGES,
        ["23456789", "30", "商标转让", "2022-08-08", "重庆永川乙食品有限公司", "重庆永川庚食品有限公司"],
        ["34567890", "43", "商标注销", "2019-11-11", "", ""],
        ["45678901", "29", "商标续展", "2022-03-01", "2012-04-21至2022-04-20", "2022-04-21至2032-04-20"],
        ["45678901", "29", "变更注册人名义/地址", "2023-05-05", "重庆市永川区豆豉协会", "重庆市永川区豆豉行业协会"],
        ["12345678", "9", "商标使用许可备案", "2019-07-01", "", "重庆永川辛电子有限公司"],
        ["12345678", "9", "奇特事项", "2020-07-01", "", ""],
    ]
    with (HERE / "commercial_changes.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def quandashi() -> None:
    """A workbook with the marks in its first sheet (title row with the export date, 注册人, one 专用权期限 cell
    "2016-05-14至2026-05-13") and their change records in a second sheet (事项, 日期)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "商标列表"
    ws.append(["权大师 商标查询结果", "", "导出日期：2024-06-15"])
    ws.append(["序号", "商标名称", "注册号", "国际分类", "商标状态", "申请日期", "注册人", "申请人地址", "专用权期限",
               "商标类型", "代理机构"])
    ws.append([1, "鱼香来苏", "70000001", "29", "商标已注册", "2015-06-01", "重庆来苏渔业专业合作社",
               "重庆市永川区来苏镇观音井村3组", "2016-05-14至2026-05-13", "集体商标", ""])
    ws.append([2, "双石", "70000002", "35,41", "商标已注册", "2019-02-02", "重庆双石文化传媒有限公司",
               "重庆市永川区双石镇双石街9号", "2019-12-07至2029-12-06", "普通商标", "重庆某商标代理有限公司"])
    changes = wb.create_sheet("变更记录")
    changes.append(["注册号", "国际分类", "事项", "日期", "变更前", "变更后"])
    changes.append(["70000001", "29", "商标注册人名义变更", "2020-03-03", "重庆来苏渔业合作社",
                    "重庆来苏渔业专业合作社"])
    changes.append(["70000002", "41", "商标转让", "2023-10-10", "重庆双石传媒有限公司", "重庆双石文化传媒有限公司"])
    notes = wb.create_sheet("说明")  # a sheet that is neither: left alone
    notes.append(["本表由权大师导出，仅供参考"])
    wb.properties.created = datetime(2024, 7, 1, 1, 0, 0)  # the title row's date wins over the properties
    wb.save(HERE / "quandashi.xlsx")


def hostile() -> None:
    """Every row but the first is bad in one field: the file must be rejected whole, each named."""
    good = ["60000001", "9", "2019-01-01", "好标", "重庆永川甲科技有限公司", SHENGLI, "", "2019-10-06", "",
            "2020-01-07", "2020-01-07至2030-01-06", "普通商标", "否", "", "", "", "", "", ""]
    rows = [CNIPA, good]

    def bad(i: int, header: str, value: str) -> None:
        row = list(good)
        row[0] = f"6000000{i}" if i < 10 else f"600000{i}"
        row[CNIPA.index(header)] = value
        rows.append(row)

    bad(2, "注册号/申请号", "12A45")                         # row 3: not a registration number
    bad(3, "国际分类号", "46")                                # row 4: class 46
    bad(4, "申请日期", "2015-02-30")                          # row 5: no such day
    bad(5, "专用权期限", "2020-01-07至2029-01-06")             # row 6: a 9-year term
    bad(6, "申请日期", "2021-01-01")                          # row 7: filed after its registration
    bad(7, "注册号/申请号", '=HYPERLINK("http://x","y")')      # row 8: formula-like text
    bad(8, "商标名称", "坏\x07标")                            # row 9: a control character
    bad(9, "申请人名称(中文)", "")                             # row 10: no owner
    bad(10, "商标名称", "长" * 5000)                           # row 11: a name of 5,000 characters
    with (HERE / "hostile.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


if __name__ == "__main__":
    cnipa_search()
    cnipa_steps()
    commercial()
    changes()
    quandashi()
    hostile()

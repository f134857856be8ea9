"""Writes the real-shape corpus of this folder (run it from the repository root to regenerate the files).

Each file copies the header row and cell conventions of one provider's export (docs/importing.md,
"Real shapes"); the application numbers, names and events are invented, and the states they lead to
are worked by hand in expected.yaml.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

# The CNIPA patent search and analysis system's full field list, as it writes it (full-width brackets).
CNIPA_FULL = ["申请号", "申请日", "公开（公告）号", "公开（公告）日", "申请（专利权）人", "发明（设计）人", "分类号",
              "优先权", "专利代理机构", "代理人",
              "国际申请", "国际公布", "进入国家日期", "摘要", "地址", "名称", "专利同族", "专利引证", "最新法律状态",
               "法律状态", "专利权状态"]


def _full(app, filed, pub_no, pub_date, title, abstract, latest, history, state, who="重庆永川丙新能源有限公司",
          ipc="H01M4/58;H01M10/052"):
    return [app, filed, pub_no, pub_date, who, "张三;李四", ipc, "", "重庆某专利代理事务所", "王五", "", "", "",
            abstract, "重庆市永川区胜利路街道人民大道1号", title, "", "", latest, history, state]


def cnipa_full() -> None:
    f1 = "2018-08-28 公布;2018-09-21 实质审查的生效;2020-06-19 授权"
    f2 = ("2015-09-16 公布;2015-10-14 实质审查的生效;2017-05-03 授权;"
          "2021-06-01 未缴年费专利权终止 未缴年费终止日：2020.04.10")
    f3 = ("2020-03-10 授权;2022-05-20 专利权人的姓名或者名称、地址的变更;2023-02-14 专利权质押合同登记的生效;"
          "2023-06-01 海外维权备案;2024-01-09 专利权质押合同登记的注销")
    f4 = "2019-11-01 公布;2019-12-01 实质审查的生效;2022-03-04 发明专利申请公布后的视为撤回"
    f5 = "2019-07-20 公布;2019-08-13 实质审查的生效;2023-05-05 授权;2023-08-01 专利权期限补偿 补偿天数：100天"
    f6 = "2018-04-01 公布;2018-05-02 实质审查的生效;2022-11-11 授权;2023-03-03 专利权期限补偿"
    f7 = "2017-07-07 授权\n2019-09-09 专利申请权、专利权的转移\n2021-04-02 专利实施许可合同备案的生效"
    f8 = "2017-12-12 授权;2019-05-06 专利权维持有效;2021-08-09 专利权全部无效"
    f9 = "2018-03-30 公布;2018-04-24 实质审查的生效;2020-01-10 视为放弃取得专利权"
    f10 = "2020-01-07 授权;2021-12-24 避免重复授权放弃专利权"
    rows = [
        CNIPA_FULL,
        _full("CN201810234560.1", "2018-03-20", "CN108555001A", "2018-08-28", "一种正极材料",
              "本发明公开了一种正极材料。", "授权", f1, "有效"),
        _full("CN201810234560.1", "2018-03-20", "CN108555001B", "2020-06-19", "一种正极材料及其制备方法", "",
              "授权", f1, "有效"),
        _full("CN201510412345.2", "2015-04-10", "CN104412345A", "2015-09-16", "一种电解液", "一种电解液。",
              "未缴年费专利权终止", f2, "失效"),
        _full("CN201510412345.2", "2015-04-10", "CN104412345B", "2017-05-03", "一种电解液", "一种电解液。",
              "未缴年费专利权终止", f2, "失效"),
        _full("CN201920777777.7", "2019-07-01", "CN210777777U", "2020-03-10", "一种夹具", "一种夹具。",
              "专利权质押合同登记的注销", f3, "有效", "重庆乙机械有限公司", "B25B11/00"),
        _full("CN201910888888.X", "2019-05-05", "CN110888888A", "2019-11-01", "一种算法", "一种算法。",
              "发明专利申请公布后的视为撤回", f4, "失效", ipc="G06F16/20"),
        _full("CN201910015151.7", "2019-01-15", "CN109015151A", "2019-07-20", "一种药物", "一种药物。",
              "专利权期限补偿", f5, "有效", ipc="A61K31/00"),
        _full("CN201910015151.7", "2019-01-15", "CN109015151B", "2023-05-05", "一种药物", "一种药物。",
              "专利权期限补偿", f5, "有效", ipc="A61K31/00"),
        _full("CN201710101010.8", "2017-10-10", "CN107101010B", "2022-11-11", "一种疫苗", "一种疫苗。",
              "专利权期限补偿", f6, "有效", ipc="A61K39/00"),
        _full("CN201620202020.1", "2016-12-01", "CN206202020U", "2017-07-07", "一种支架", "一种支架。",
              "专利实施许可合同备案的生效", f7, "有效", ipc="F16M11/00"),
        _full("CN201720404040.1", "2017-04-04", "CN207404040U", "2017-12-12", "一种阀门", "一种阀门。",
              "专利权全部无效", f8, "失效", ipc="F16K1/00"),
        _full("CN201710505050.9", "2017-10-05", "CN107505050A", "2018-03-30", "一种涂料", "一种涂料。",
              "视为放弃取得专利权", f9, "失效", ipc="C09D5/00"),
        _full("CN201910606060.0", "2019-06-06", "CN209606060U", "2020-01-07", "一种灯具", "一种灯具。",
              "避免重复授权放弃专利权", f10, "失效", ipc="F21V19/00"),
    ]
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    # The export moment as the exporting system writes it (UTC): 2024-06-30 10:00 in Beijing.
    wb.properties.created = datetime(2024, 6, 30, 2, 0)
    wb.save(HERE / "cnipa_full.xlsx")


def cnipa_plain() -> None:
    rows = [
        ["申请号", "申请日", "公开（公告）号", "公开（公告）日", "申请（专利权）人", "名称", "地址", "主分类号"],
        ["201910555555.5", "2019-03-01", "CN109555555B", "2021-02-09", "重庆永川甲科技有限公司", "一种电池管理系统",
         "重庆市永川区胜利路街道人民大道1号", "H01M10/42"],
        ["202020666666.1", "2020-05-06", "CN212666666U", "2021-01-05", "重庆乙机械有限公司", "一种夹具",
         "重庆市永川区来苏镇", "B25B11/00"],
        ["202110777777.9", "2021-07-01", "CN113777777A", "2021-10-01", "重庆丙科技有限公司", "一种传感器",
         "重庆市永川区", "G01D5/00"],
        ["200830012345.4", "2008-01-10", "CN300888888D", "2008-09-03", "重庆丁家具厂", "椅子", "重庆市永川区",
         "06-01"],
        ["201910444444.7", "2019-04-01", "CN110444444A", "2019-10-08", "重庆戊有限公司", "一种方法", "重庆市永川区",
         "G06Q10/00"],
        ["201910444444.7", "2019-04-01", "CN110444444B8", "2021-09-01", "重庆戊有限公司", "一种方法", "重庆市永川区",
         "G06Q10/00"],
    ]
    with (HERE / "cnipa_plain.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def patsnap() -> None:
    header = ["序号", "公开(公告)号", "申请号", "申请日", "公开(公告)日", "标题", "[标]当前申请(专利权)人",
              "当前申请(专利权)人数量", "IPC主分类号(小类)",
              "专利类型", "简单法律状态", "法律状态/事件", "授权日", "失效日", "当前申请(专利权)人州/省",
                                                               "当前申请(专利权)人地市", "当前申请(专利权)人区县"]
    d = datetime
    rows = [
        [1, "CN108444444B", "CN201810234567", d(2018, 3, 20), d(2020, 6, 19), "一种储能装置",
         "重庆永川甲科技有限公司", 1, "H01M", "发明", "有效", "授权；权利转移", d(2020, 6, 19), None, "重庆市",
                                                            "重庆市", "永川区"],
        [2, "CN207111111U", "CN201820111111", d(2018, 1, 5), d(2018, 8, 10), "一种支座", "重庆乙机械有限公司", 1,
         "F16M", "实用新型", "失效", "未缴年费", d(2018, 8, 10), d(2021, 1, 5), "重庆市", "重庆市", "永川区"],
        [3, "CN113555555A", "CN202110555555", d(2021, 5, 5), d(2021, 8, 6), "一种控制方法", "重庆丙科技有限公司", 2,
         "G05B", "发明", "审中", "实质审查", None, None, "重庆市", "重庆市", "永川区"],
        [4, "CN203222222U", "CN201320222222", d(2013, 2, 1), d(2013, 7, 3), "一种水泵", "重庆丁泵业有限公司", 1,
         "F04D", "实用新型", "失效", "期限届满", d(2013, 7, 3), d(2023, 2, 1), "重庆市", "重庆市", "永川区"],
        [5, "CN208333333U", "CN201820333333", d(2018, 3, 3), d(2018, 10, 10), "一种托盘", "重庆戊物流有限公司", 1,
         None, "实用新型", "失效", None, d(2018, 10, 10), d(2022, 3, 3), "重庆市", "重庆市", "永川区"],
    ]
    wb = Workbook()
    ws = wb.active
    ws.append(["智慧芽专利数据导出  导出时间：2024-06-30 09:15  共5条"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(HERE / "patsnap.xlsx")


def incopat() -> None:
    header = ["序号", "标题(中文)", "申请号", "申请日", "公开(公告)号", "公开(公告)日", "专利类型", "申请人",
              "申请人地址", "IPC主分类", "简单法律状态", "法律状态", "incoPat同族ID"]
    rows = [
        ["检索日期：2024-05-31"],
        header,
        ["1", "一种电机", "201910909090.9", "20190909", "CN110909090B", "20220222", "发明授权", "重庆甲电机有限公司",
         "重庆市永川区胜利路街道", "H02K1/00", "有效", "授权", "10001"],
        ["2", "一种风扇", "202020707070.1", "20200707", "CN213707070U", "20210303", "实用新型", "重庆乙风机有限公司",
         "重庆市永川区", "F04D25/08", "失效", "未缴年费", "10002"],
        ["3", "一种检测方法", "202210303030.4", "20221030", "CN115303030A", "20230131", "发明申请",
         "重庆丙检测有限公司", "重庆市永川区", "G01N21/00", "审中", "实质审查", "10003"],
        ["4", "一种刀具", "201820555555.6", "20180808", "CN209555555U", "20190301", "实用新型", "重庆丁刀具有限公司",
         "重庆市永川区", "B26B9/00", "有效", "保全", "10004"],
        ["5", "一种灯", "201820666666.4", "20180909", "CN209666666U", "20190402", "实用新型", "重庆戊照明有限公司",
         "重庆市永川区", "F21S8/00", "有效", "信托", "10005"],
    ]
    with (HERE / "incopat.csv").open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)


def google() -> None:
    base = {"country_code": "CN", "family_id": "70001", "filing_date": 20190301, "priority_date": 20190301,
            "application_number": "CN-201910555555-A", "application_kind": "A",
            "assignee_harmonized": [{"name": "重庆永川甲科技有限公司", "country_code": "CN"}],
            "ipc": [{"code": "H01M10/42", "first": True}]}
    rows = [
        {**base, "publication_number": "CN-109555555-A", "kind_code": "A", "publication_date": 20190701,
         "grant_date": 0, "title_localized": [{"text": "一种电池管理系统", "language": "zh"}]},
        {**base, "publication_number": "CN-109555555-B", "kind_code": "B", "publication_date": 20210209,
         "grant_date": 0, "title_localized": []},
        {**base, "publication_number": "CN-109555555-B8", "kind_code": "B8", "publication_date": 20210601,
         "grant_date": 0, "title_localized": []},
        {"publication_number": "CN-212666666-U", "application_number": "CN-202020666666-U", "country_code": "CN",
         "kind_code": "U", "application_kind": "U", "family_id": "70002", "filing_date": 20200506,
         "publication_date": 20210105, "grant_date": 0, "priority_date": 20200506,
         "title_localized": [{"text": "一种夹具", "language": "zh"}],
         "assignee_harmonized": [{"name": "重庆乙机械有限公司", "country_code": "CN"}],
         "ipc": [{"code": "B25B11/00", "first": True}]},
        {"publication_number": "US-11000001-B2", "application_number": "US-16000001-A", "country_code": "US",
         "kind_code": "B2", "family_id": "70001", "filing_date": 20200301, "publication_date": 20210601,
         "grant_date": 20210601},
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    (HERE / "google_bigquery.jsonl").write_text(text, encoding="utf-8")


def hostile() -> None:
    """A CNIPA plain export with formula-looking text, control characters and a row with a bad date."""
    rows = [
        ["申请号", "申请日", "公开（公告）号", "公开（公告）日", "申请（专利权）人", "名称", "地址", "主分类号"],
        ["201910555555.5", "2019-03-01", "CN109555555B", "2021-02-09", "=HYPERLINK(\"http://x.invalid\",\"点我\")",
         "@SUM(1+1)一种\x07系统", "重庆市永川区", "H01M10/42"],
        ["202020666666.1", "2020-02-30", "CN212666666U", "2021-01-05", "重庆乙机械有限公司", "一种夹具",
         "重庆市永川区", "B25B11/00"],
    ]
    with (HERE / "hostile.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def bare_states_without_date() -> None:
    """Current states only, in a CSV that carries no export date: needs --exported."""
    rows = [
        ["申请号", "申请日", "公开(公告)号", "简单法律状态"],
        ["CN202020666666", "2020-05-06", "CN212666666U", "有效"],
    ]
    with (HERE / "states_no_date.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


if __name__ == "__main__":
    for make in (cnipa_full, cnipa_plain, patsnap, incopat, google, hostile, bare_states_without_date):
        make()

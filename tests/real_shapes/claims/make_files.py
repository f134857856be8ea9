"""Writes the xlsx files of the claims tests (tests/test_claims_import.py) in the providers' shapes; cnipa.csv is
written by hand.  Run from anywhere: python tests/real_shapes/claims/make_files.py"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
CLAIM_A = "1.一种储能装置，其特征在于，包括壳体、设置在壳体内的电芯模组和散热板，所述散热板与电芯模组贴合。"
CLAIM_B = "1、一种风扇，包括底座和叶轮，其特征在于：所述叶轮通过轴承安装于底座上。"


def incopat() -> None:
    """incoPat: a search-date line above the header; 首项权利要求 beside 权利要求书 (all the claims: not read) and
    权利要求数量 (the count)."""
    header = ["序号", "标题(中文)", "摘要(中文)", "申请号", "申请日", "专利类型", "申请人", "申请人地址", "IPC主分类",
              "权利要求数量", "首项权利要求", "权利要求书"]
    wb = Workbook()
    ws = wb.active
    ws.append(["检索日期：2024-05-31"])
    ws.append(header)
    ws.append([1, "一种储能装置", "本发明公开了一种储能装置。", "201910909090.9", "20190909", "发明申请",
               "重庆甲储能有限公司", "重庆市永川区胜利路街道", "H01M10/42", 3, CLAIM_A,
               CLAIM_A + "2.根据权利要求1所述的储能装置，其特征在于……3.……"])
    ws.append([2, "一种风扇", "本实用新型公开了一种风扇。", "202020707070.1", "20200707", "实用新型",
               "重庆乙风机有限公司", "重庆市永川区", "F04D25/08", 2, "  " + CLAIM_B + "  ", CLAIM_B])
    ws.append([3, "一种检测方法", "本发明公开了一种检测方法。", "202210303030.4", "20221030", "发明申请",
               "重庆丙检测有限公司", "重庆市永川区", "G01N21/00", 1, None, "1.一种检测方法……"])
    wb.save(HERE / "incopat.xlsx")


def patsnap() -> None:
    """PatSnap: a title row above the header; the first claim is 主权项."""
    header = ["序号", "公开(公告)号", "申请号", "申请日", "标题", "[标]当前申请(专利权)人", "IPC主分类号(小类)",
              "专利类型", "主权项", "当前申请(专利权)人区县"]
    wb = Workbook()
    ws = wb.active
    ws.append(["智慧芽专利数据导出  导出时间：2024-06-30 09:15  共2条"])
    ws.append(header)
    ws.append([1, "CN113555555A", "CN202110555555", "2021-05-05", "一种控制方法", "重庆丙科技有限公司", "G05B",
               "发明", "一种控制方法，其特征在于，包括以下步骤：S1，采集温度；S2，调节功率。", "永川区"])
    ws.append([2, "CN208333333U", "CN201820333333", "2018-03-03", "一种托盘", "重庆戊物流有限公司", "B65D",
               "实用新型", "", "永川区"])
    wb.save(HERE / "patsnap.xlsx")


if __name__ == "__main__":
    incopat()
    patsnap()

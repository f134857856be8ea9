"""The value pages and API on the world.py district: staff see the ranked list and any breakdown, an
enterprise user only its own patents' breakdowns; bad inputs are 422, unknown patents 404."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

import world
from webserver import client, world_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with world_server(tmp_path_factory.mktemp("value-web")) as url:
        yield url


def test_value_api_and_pages(base_url):
    day = {"as_of": "2024-12-31"}
    with client(base_url, "analyst") as c:
        rows = c.get("/api/value", params={**day, "scenario": "pledge"}).json()
        # the plan's region (Yongchuan): every scored application of a Yongchuan first applicant (not A4, Beijing)
        assert sorted(r["app_no"] for r in rows) == sorted(
            [world.A1, world.A2, world.A3, world.A5, world.A6, world.A7, world.A8, world.A9, world.A10])
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
        one = c.get(f"/api/value/{world.A5}", params=day).json()
        assert one["app_no"] == world.A5 and set(one["scenarios"]) == {"pledge", "transfer", "management"}
        assert c.get("/api/value/201710000099.0", params=day).status_code == 422          # bad check digit
        assert c.get(f"/api/value/{world.no(99, 2017)}", params=day).status_code == 404   # not in the warehouse
        assert c.get("/api/value", params={**day, "scenario": "auction"}).status_code == 422
        assert c.get("/api/value", params={**day, "grade": "Z"}).status_code == 422
        assert c.get("/api/value", params={**day, "field": "99"}).status_code == 422
        for odd in ("²", "٣", "1a", "-1"):  # str.isdigit() takes "²" and "٣", int() then fails: 422, never 500
            assert c.get("/api/value", params={**day, "field": odd}).status_code == 422, odd
        assert c.get("/api/value", params={**day, "field": "6"}).status_code == 200
        # the breakdown's grade is the list's (both cut from the day's one frame)
        listed = {r["app_no"]: r["grade"] for r in c.get("/api/value", params={**day, "scenario": "pledge"}).json()}
        assert one["scenarios"]["pledge"]["grade"] == listed[world.A5]
        sheet = load_workbook(io.BytesIO(c.get("/api/value", params={**day, "format": "xlsx"}).content)).active
        assert sheet.cell(1, 2).value == "申请号" and sheet.max_row - 1 == len(rows)
        page = c.get("/value", params={**day, "town": "500118111000"}).text
        assert f'href="/value/{world.A3}?as_of=2024-12-31"' in page and world.A1 not in page
        assert "剩余保护期" in c.get(f"/value/{world.A5}", params=day).text
    with client(base_url, "yi") as yi:  # 乙: A3, A6, A8, A9, A10
        assert yi.get(f"/api/value/{world.A3}", params=day).status_code == 200
        assert yi.get(f"/api/value/{world.A1}", params=day).status_code == 404    # 甲's: as if it did not exist
        assert yi.get(f"/value/{world.A1}", params=day).status_code == 404
        assert yi.get("/api/value", params=day).status_code == 403

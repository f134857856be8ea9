"""The REST API against a real server on loopback: logins, roles, figures, drill-downs, exports,
uploads, and what an enterprise account must not see."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

import world
from conftest import write_xlsx
from test_import import good_rows, no
from webserver import client, world_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with world_server(tmp_path_factory.mktemp("web"), max_upload_mib=1) as url:
        yield url




def finished(c: httpx.Client, queued: httpx.Response) -> dict:
    """An upload is a background job: its result once it has ended (the server's long poll, no sleep)."""
    assert queued.status_code == 202, queued.text
    job = c.get(f"/api/imports/jobs/{queued.json()['job_id']}", params={"wait": 60}).json()
    assert job["status"] in ("done", "rejected"), job
    return job["result"]


def test_anonymous_requests_are_refused(base_url):
    with client(base_url) as c:
        assert c.get("/api/indicators").status_code == 401
        assert c.get(f"/api/patents/{world.A1}").status_code == 401


def test_wrong_password_is_refused_and_audited(base_url):
    with client(base_url) as c:
        r = c.post("/api/login", json={"username": "analyst", "password": "guess"})
        assert r.status_code == 401
    with client(base_url, "admin") as admin:
        log = admin.get("/api/audit").json()
        assert any(e["action"] == "login_failed" and e["username"] == "analyst" for e in log)


def test_analyst_reads_figures_and_their_records(base_url):
    with client(base_url, "analyst") as c:
        rows = c.get("/api/indicators", params={"as_of": "2024-12-31", "region": "500118",
                                                "key": ["valid_inventions", "high_value_inventions"]}).json()
        assert [(r["key"], r["value"]) for r in rows] == [("valid_inventions", 4), ("high_value_inventions", 3)]
        records = c.get("/api/indicators/valid_inventions/records",
                        params={"as_of": "2024-12-31", "region": "500118"}).json()
        assert sorted(r["app_no"] for r in records) == sorted([world.A1, world.A3, world.A5, world.A10])
        laisu = c.get("/api/indicators/valid_inventions/records",
                      params={"as_of": "2024-12-31", "region": "500118", "group_by": "town",
                              "group": "500118111000"}).json()
        assert sorted(r["app_no"] for r in laisu) == sorted([world.A3, world.A10])


def test_warnings_and_high_value_patents_at_risk(base_url):
    with client(base_url, "analyst") as c:
        rows = c.get("/api/warnings", params={"as_of": "2024-12-31", "within": 730}).json()
        at_risk = c.get("/api/warnings", params={"as_of": "2024-12-31", "within": 730,
                                                 "high_value_at_risk": True}).json()
        assert at_risk and len(at_risk) < len(rows)
        assert at_risk == [r for r in rows if r["high_value"] and r["kind"] != "milestone_10y"]
        page = c.get("/warnings", params={"as_of": "2024-12-31", "within": 730, "high_value_at_risk": "true"}).text
        assert page.count('<a href="/patents/') == len(at_risk) and "high_value_at_risk=true" in page


def test_records_export_to_excel(base_url):
    with client(base_url, "analyst") as c:
        r = c.get("/api/indicators/high_value_inventions/records",
                  params={"as_of": "2024-12-31", "region": "500118", "format": "xlsx"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(r.content)).active
        assert sheet.cell(1, 1).value == "申请号" and sheet.max_row - 1 == 3


def test_patent_page_data(base_url):
    with client(base_url, "analyst") as c:
        p = c.get(f"/api/patents/{world.A5}", params={"as_of": "2024-12-31"}).json()
        assert p["state"]["state"] == "valid" and p["high_value"]["high_value"] is True
        assert {m["office"] for m in p["family"]} == {"EP", "JP"}
        assert [x["contract_no"] for x in p["pledges"]] == ["P1", "P2"]
        assert c.get("/api/patents/12345").status_code == 422


def test_enterprise_sees_only_its_own_patents(base_url):
    with client(base_url, "yi") as yi:
        assert yi.get(f"/api/patents/{world.A3}").status_code == 200      # its own
        assert yi.get(f"/api/patents/{world.A1}").status_code == 404      # 甲's: as if it did not exist
        assert yi.get("/api/indicators").status_code == 403
        warned = {r["app_no"] for r in yi.get("/api/warnings", params={"as_of": "2024-12-31"}).json()}
        assert warned and warned <= {world.A3, world.A10}   # only its own patents' warnings
        own = yi.get("/api/my/patents", params={"as_of": "2024-12-31"}).json()
        assert sorted(r["app_no"] for r in own["valid_inventions"]) == sorted([world.A3, world.A10])
        sheet = load_workbook(io.BytesIO(yi.get("/api/my/patents", params={"as_of": "2024-12-31",
                                                                          "format": "xlsx"}).content)).active
        assert sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)) == sorted([world.A3, world.A10])
    with client(base_url, "jia") as jia:
        listed = jia.get("/api/highvalue", params={"as_of": "2024-12-31"}).json()
        assert sorted(r["app_no"] for r in listed) == sorted([world.A1, world.A4])  # A4: 甲 is co-applicant
    with client(base_url, "bank") as bank:
        assert bank.get("/api/highvalue").status_code == 403
        assert bank.get("/api/warnings").status_code == 403
        assert bank.get(f"/api/patents/{world.A3}").status_code == 404


def test_upload_needs_admin_and_csrf_and_is_audited(base_url, tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", good_rows())
    with client(base_url, "analyst") as analyst:
        r = analyst.post("/api/imports", files={"file": ("export.xlsx", path.read_bytes())})
        assert r.status_code == 403
    with client(base_url, "admin") as admin:
        token = admin.headers.pop("x-csrf-token")
        assert admin.post("/api/imports", files={"file": ("export.xlsx", path.read_bytes())}).status_code == 403
        r = admin.post("/api/imports", files={"file": ("export.xlsx", path.read_bytes())}, data={"csrf": token})
        assert r.status_code == 202 and finished(admin, r)["rows_inserted"] == 3
        again = admin.post("/api/imports", files={"file": ("export.xlsx", path.read_bytes())}, data={"csrf": token})
        assert finished(admin, again)["already_imported"] is True
        big = admin.post("/api/imports", files={"file": ("big.csv", b"x" * ((1 << 20) + 1))}, data={"csrf": token})
        assert big.status_code == 413
        bad = write_xlsx(tmp_path / "bad.xlsx", [good_rows()[0], ["not-a-number", *good_rows()[1][1:]]])
        rejected = admin.post("/api/imports", files={"file": ("bad.xlsx", bad.read_bytes())}, data={"csrf": token})
        report = finished(admin, rejected)
        assert report["accepted"] is False and report["errors"][0]["row"] >= 2
        for odd in ("..", "."):  # a name that is a directory: refused with a message, not a 500
            answer = admin.post("/api/imports", files={"file": (odd, path.read_bytes())}, data={"csrf": token})
            assert answer.status_code == 422 and answer.json()["detail"]
        log = [e["action"] for e in admin.get("/api/audit").json()]
        assert "import" in log and "import_rejected" in log
        assert any(i["file_name"] == "export.xlsx" for i in admin.get("/api/imports").json())
        history = load_workbook(io.BytesIO(admin.get("/api/imports", params={"format": "xlsx"}).content)).active
        assert "export.xlsx" in [history.cell(r, 2).value for r in range(2, history.max_row + 1)]


def test_cached_figures_follow_new_data(base_url, tmp_path):
    """Answers are cached, but an import changes the data version and so the answer."""
    params = {"as_of": "2021-12-31", "key": "invention_applications"}
    with client(base_url, "admin") as admin:
        before = admin.get("/api/indicators", params=params).json()[0]["value"]
        assert admin.get("/api/indicators", params=params).json()[0]["value"] == before  # served from the cache
        row = good_rows()[3].copy()
        row[0] = no("202110888888")
        path = write_xlsx(tmp_path / "one.xlsx", [good_rows()[0], row])
        r = admin.post("/api/imports", files={"file": ("one.xlsx", path.read_bytes())},
                       data={"csrf": admin.headers["x-csrf-token"]})
        assert finished(admin, r)["rows_inserted"] == 1
        assert admin.get("/api/indicators", params=params).json()[0]["value"] == before + 1


def test_openapi_documents_the_api(base_url):
    assert httpx.get(f"{base_url}/openapi.json").status_code == 401  # for staff (tests/test_web_security.py)
    with client(base_url, "analyst") as c:
        spec = c.get("/openapi.json").json()
    assert {"/api/indicators", "/api/indicators/{key}/records", "/api/highvalue", "/api/patents/{app_no}",
            "/api/plan/progress", "/api/imports"} <= set(spec["paths"])

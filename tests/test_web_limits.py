"""Request bodies are bounded before any route reads them (web/limits.py), against a real server:
64 KiB for every route, the upload limit + 1 MiB for the two upload routes; 413 in Chinese / English."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from webserver import PASSWORD, world_server


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    with world_server(tmp_path_factory.mktemp("limits"), max_upload_mib=1) as base:
        yield base


def chunks(total: int, size: int = 16 << 10) -> Iterator[bytes]:
    """A body sent chunked (a generator: httpx sends no Content-Length)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


def test_a_1_mib_login_body_is_413_not_read(url):
    body = json.dumps({"username": "admin", "password": "x" * (1 << 20)})
    r = httpx.post(f"{url}/api/login", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert "64 KiB" in r.json()["detail"] and " / " in r.json()["detail"]
    ok = httpx.post(f"{url}/api/login", json={"username": "admin", "password": PASSWORD})
    assert ok.status_code == 200  # an ordinary login passes the limit


def test_a_chunked_body_over_the_limit_is_413(url):
    r = httpx.post(f"{url}/api/login", content=chunks(200 << 10), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers and r.status_code == 413, r.text
    assert "64 KiB" in r.json()["detail"]
    small = json.dumps({"username": "admin", "password": PASSWORD}).encode()
    ok = httpx.post(f"{url}/api/login", content=iter([small]), headers={"content-type": "application/json"})
    assert "content-length" not in ok.request.headers and ok.status_code == 200  # counted, not refused


def test_a_chunked_upload_over_the_upload_limit_is_413(url):
    head = b'--b0\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    body = iter([head, *chunks(3 << 20)])
    r = httpx.post(f"{url}/api/imports", content=body, headers={"content-type": "multipart/form-data; boundary=b0"})
    assert r.status_code == 413 and "1 MiB" in r.json()["detail"], r.text


def test_an_anonymous_oversized_upload_is_413_without_reading_the_body(url):
    """The request declares 10 GiB and sends 10 bytes: the answer comes from the header alone (a server that
    read, spooled or checked the login first would wait for the rest and the read below would time out)."""
    parts = urlsplit(url)
    for path in ("/api/imports", "/imports"):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "multipart/form-data; boundary=b0")
        conn.putheader("Content-Length", str(10 << 30))
        conn.endheaders(b"--b0\r\n...")
        response = conn.getresponse()
        text = response.read().decode()
        conn.close()
        assert response.status == 413, (path, text)
        assert "文件超过上限 1 MiB / file too large" in text
        if path == "/imports":
            assert 'id="error"' in text  # the pages' error page, not JSON


def test_a_page_form_over_64_kib_is_the_error_page(url):
    r = httpx.post(f"{url}/login", data={"username": "admin", "password": "x" * (100 << 10)})
    assert r.status_code == 413 and 'id="error"' in r.text and "64 KiB" in r.text

"""Bank ↔ enterprise financing requests (docs/finance-requests.md).  OWNER: helper H4 (stub)."""

from __future__ import annotations

REQUEST_STATUSES = ("interest", "consented", "declined", "withdrawn", "contracted")


class RequestError(ValueError):
    pass


def create_request(con, **kwargs) -> dict:
    raise NotImplementedError


def answer_request(con, request_id: str, **kwargs) -> dict:
    raise NotImplementedError


def withdraw_request(con, request_id: str, **kwargs) -> dict:
    raise NotImplementedError


def link_contract(con, request_id: str, contract_no: str, **kwargs) -> dict:
    raise NotImplementedError


def list_requests(con, **kwargs) -> list[dict]:
    raise NotImplementedError


def pipeline(con) -> dict:
    raise NotImplementedError

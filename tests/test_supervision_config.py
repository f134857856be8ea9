"""Supervision settings (supervision/config.py): the ranges that keep every rule defined.  Each minimum is tried one
below (refused, naming the file and the key), at (accepted) and one above (accepted)."""

from __future__ import annotations

import pytest

from hvpatent.supervision.config import ConfigError, config_from, default_config, load_config

MINIMUMS = [  # (section path, least value)
    (("rules", "near_duplicate", "window_days"), 1),
    (("rules", "bulk_filing", "window_days"), 1),
    (("rules", "applicant_mismatch", "window_days"), 1),
    (("rules", "transfer_after_grant", "window_days"), 1),
    (("rules", "near_duplicate", "min_cluster"), 2),
    (("rules", "name_variants", "min_names"), 2),
    (("rules", "bulk_filing", "history_years"), 1),
    (("rules", "bulk_filing", "min_filings"), 1),
    (("rules", "applicant_mismatch", "min_inventions"), 1),
    (("rules", "applicant_mismatch", "min_sections"), 1),
    (("rules", "transfer_after_grant", "min_transfers"), 1),
    (("rules", "transfer_after_grant", "min_transferees"), 1),
    (("rules", "transfer_after_grant", "days_after_grant"), 0),
    (("rules", "withdrawn_after_subsidy", "days_after_payment"), 0),
    (("agencies", "trend_years"), 1),
    (("text", "max_chars"), 1),
    (("text", "workers"), 1),
]


def _nested(path: tuple[str, ...], value: int) -> dict:
    data: dict = {path[-1]: value}
    for key in reversed(path[:-1]):
        data = {key: data}
    return data


def _value(config, path: tuple[str, ...]) -> object:
    if path[0] == "rules":
        return config.rule(path[1])[path[2]]
    return (config.agencies if path[0] == "agencies" else config.text)[path[1]]


@pytest.mark.parametrize(("path", "least"), MINIMUMS, ids=lambda x: ".".join(x) if isinstance(x, tuple) else None)
def test_each_minimum_below_at_above(path, least):
    where = ".".join(path)
    with pytest.raises(ConfigError, match=rf"^mine\.yaml: {where}: .* / .*: {least - 1}$"):
        config_from(_nested(path, least - 1), "mine.yaml")
    assert _value(config_from(_nested(path, least), "mine.yaml"), path) == least
    assert _value(config_from(_nested(path, least + 1), "mine.yaml"), path) == least + 1


def test_minimum_message_in_both_languages():
    with pytest.raises(ConfigError) as err:
        config_from({"rules": {"bulk_filing": {"window_days": 0}}}, "mine.yaml")
    assert str(err.value) == "mine.yaml: rules.bulk_filing.window_days: 应不小于 1 / must be at least 1: 0"


def test_workers_at_most_16():
    assert config_from({"text": {"workers": 16}}, "mine.yaml").text["workers"] == 16
    with pytest.raises(ConfigError) as err:
        config_from({"text": {"workers": 17}}, "mine.yaml")
    assert str(err.value) == "mine.yaml: text.workers: 应在 1 至 16 之间 / must lie between 1 and 16: 17"


def test_shipped_settings_and_a_user_file(tmp_path):
    shipped = default_config()
    assert shipped.text["workers"] == 1 and shipped.text["max_chars"] == 600
    good = tmp_path / "supervision.yaml"
    good.write_text("text:\n  workers: 4\nrules:\n  near_duplicate:\n    min_cluster: 2\n", encoding="utf-8")
    config = load_config(good)
    assert config.text["workers"] == 4 and config.rule("near_duplicate")["min_cluster"] == 2
    assert config.digest() != shipped.digest()
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  near_duplicate:\n    min_cluster: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert str(err.value) == f"{bad}: rules.near_duplicate.min_cluster: 应不小于 2 / must be at least 2: 1"

"""Tasks settings (tasks/config.py): the shipped tasks.yaml, a user's partial copy, and every range check naming the
file and the key in both languages."""

from pathlib import Path

import pytest

from hvpatent.tasks.config import ConfigError, config_from, default_config, load_config


def test_shipped_settings():
    config = default_config()
    assert config.attachments["kinds"] == ["pdf", "docx", "xlsx", "png", "jpeg"]
    assert config.report["max_text_chars"] == 20000 and config.report["max_versions"] == 20
    assert config.assessment["weights"] == {"timeliness": 30, "indicators": 40, "qualitative": 30}
    assert config.source.endswith("tasks.yaml")
    assert load_config() is default_config()   # no user file in the tests' config folder


def test_user_file_holds_only_what_it_changes(tmp_path: Path):
    mine = tmp_path / "tasks.yaml"
    mine.write_text("report:\n  max_text_chars: 500\nassessment:\n  lower_is_better: [invention_grant_rate]\n",
                    encoding="utf-8")
    config = load_config(mine)
    assert config.report["max_text_chars"] == 500 and config.report["max_figures"] == 30
    assert config.assessment["lower_is_better"] == ["invention_grant_rate"]
    assert config.source == str(mine)
    assert config.digest() != default_config().digest()
    assert default_config().digest() == default_config().digest()


@pytest.mark.parametrize(("data", "where"), [
    ({"attachments": {"kinds": ["pdf", "exe"]}}, "attachments.kinds"),
    ({"attachments": {"kinds": []}}, "attachments.kinds"),
    ({"attachments": {"max_files": 0}}, "attachments.max_files"),
    ({"report": {"max_text_chars": 0}}, "report.max_text_chars"),
    ({"timeliness": {"on_time": 101}}, "timeliness.on_time"),
    ({"timeliness": {"missing": 100.5}}, "timeliness.missing"),
    ({"timeliness": {"late": [[5, 60], [5, 30]]}}, r"timeliness.late\[1\]"),
    ({"timeliness": {"late": [[10, 60], [5, 30]]}}, r"timeliness.late\[1\]"),
    ({"timeliness": {"late": [[5, 160]]}}, r"timeliness.late\[0\]"),
    ({"timeliness": {"late": [[5]]}}, r"timeliness.late\[0\]"),
    ({"assessment": {"weights": {"timeliness": 0, "indicators": 0, "qualitative": 0}}}, "assessment.weights"),
    ({"assessment": {"weights": {"timeliness": -1}}}, "assessment.weights.timeliness"),
    ({"assessment": {"indicator_scores": {"up": 120}}}, "assessment.indicator_scores.up"),
    ({"assessment": {"lower_is_better": ["no_such_indicator"]}}, "assessment.lower_is_better"),
    ({"assessment": {"lower_is_better": [[1]]}}, r"assessment.lower_is_better(\[0\])?"),   # no TypeError
    ({"report": {"max_versions": 0}}, "report.max_versions"),
    ({"assessment": {"colour": "red"}}, "assessment.colour"),
    ({"report": "long"}, "report"),
])
def test_bad_values_name_the_file_and_key(data, where):
    with pytest.raises(ConfigError, match=rf"mine.yaml: {where}: .* / "):
        config_from(data, "mine.yaml")


def test_edges_of_the_ranges_accepted():
    config = config_from({"timeliness": {"on_time": 100, "missing": 0, "late": [[0, 100], [1, 0]]},
                          "assessment": {"weights": {"timeliness": 0, "indicators": 0, "qualitative": 1}}},
                         "mine.yaml")
    assert config.timeliness["late"] == [[0, 100], [1, 0]]


def test_timeliness_score_rows():
    config = default_config()   # on_time 100; late <= 5: 60; later: 30; missing 0
    assert config.timeliness_score(0) == 100
    assert config.timeliness_score(None) == 100
    assert config.timeliness_score(5) == 60
    assert config.timeliness_score(6) == 30
    assert config.timeliness_score(None, filed=False) == 0


def test_unreadable_file_named(tmp_path: Path):
    bad = tmp_path / "tasks.yaml"
    bad.write_text("report: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tasks.yaml.*YAML"):
        load_config(bad)

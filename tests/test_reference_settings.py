"""Settings files in one place (reference/settings.py): which file a room reads (the user's copy in the config
folder, else the package's), and the working-day file (reference/workdays.py's workdays.yaml) read as every settings
file is.  The config folder is the test's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import hvpatent.reference.workdays as workdays
from hvpatent.reference.settings import SettingsError, settings_paths
from hvpatent.reference.workdays import CalendarError, add_working_days, calendar_note, next_working_day

ROOMS = [("hvpatent.tasks.config", "tasks.yaml", "tasks.yaml"),
         ("hvpatent.supervision.config", "config.yaml", "supervision.yaml"),
         ("hvpatent.schedule.config", "schedule.yaml", "schedule.yaml")]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr("hvpatent.reference.userconfig.user_config_dir", lambda: tmp_path)
    monkeypatch.setattr(workdays, "user_config_dir", lambda: tmp_path)
    workdays.reload()
    yield tmp_path
    workdays.reload()


@pytest.mark.parametrize(("module", "shipped", "user"), ROOMS)
def test_each_room_reads_the_users_file_else_the_packages(folder, module, shipped, user):
    import importlib

    room = importlib.import_module(module)
    package = module.rsplit(".", 1)[0]
    packaged, chosen = settings_paths(package, shipped, user)
    assert packaged.name == shipped and packaged.is_file() and folder not in packaged.parents
    assert chosen == packaged == room.config_path()
    (folder / user).write_text("{}\n", encoding="utf-8")
    assert settings_paths(package, shipped, user) == (packaged, folder / user) and room.config_path() == folder / user


@pytest.mark.parametrize(("module", "user", "text", "where"), [
    ("hvpatent.tasks.config", "tasks.yaml", "timeliness: {on_time: 101}\n", "timeliness.on_time"),
    ("hvpatent.supervision.config", "supervision.yaml", "text: {workers: 17}\n", "text.workers"),
    ("hvpatent.schedule.config", "schedule.yaml", "formats: [doc]\n", "formats[0]"),
])
def test_each_rooms_own_error_names_the_users_file_and_key(folder, module, user, text, where):
    import importlib

    room = importlib.import_module(module)
    (folder / user).write_text(text, encoding="utf-8")
    with pytest.raises(room.ConfigError) as err:
        room.load_config()
    assert f"{folder / user}: {where}: " in str(err.value) and " / " in str(err.value)


def _calendar(folder: Path, text: str) -> None:
    (folder / workdays.USER_FILE).write_text(text, encoding="utf-8")
    workdays.reload()


def test_a_user_year_moves_the_working_days(folder):
    # 2027 is not in chinesecalendar: Monday to Friday until the user's file states it.  National Day 2027 (as a
    # user might state it): 10-01 (Fri) .. 10-07 (Thu) off, Sat 10-09 worked.
    assert calendar_note([date(2027, 10, 1)]) is not None
    assert next_working_day(date(2027, 9, 30)) == date(2027, 10, 1)
    _calendar(folder, "years: [2027]\nholidays: [2027-10-01, 2027-10-04, 2027-10-05, 2027-10-06, 2027-10-07]\n"
                      "workdays: ['2027-10-09']\n")
    assert calendar_note([date(2027, 10, 1), date(2026, 1, 5)]) is None
    # the day before the holiday, its first day, its last day and the day after
    assert next_working_day(date(2027, 9, 29)) == date(2027, 9, 30)
    assert next_working_day(date(2027, 9, 30)) == date(2027, 10, 8)
    assert next_working_day(date(2027, 10, 7)) == date(2027, 10, 8)
    assert next_working_day(date(2027, 10, 8)) == date(2027, 10, 9)  # the Saturday worked
    assert add_working_days(date(2027, 9, 30), 3) == date(2027, 10, 11)


def test_calendar_note_names_the_unknown_years():
    zh, en = calendar_note([date(2024, 10, 8), date(2028, 1, 3), date(2027, 4, 1), date(2028, 2, 1)])
    assert "2027, 2028 年的节假日安排尚未公布" in zh and "holiday arrangements of 2027, 2028 are not known" in en
    assert calendar_note([date(2024, 10, 8)]) is None and calendar_note([]) is None


@pytest.mark.parametrize(("text", "where"), [
    ("years: &y [2027]\nholidays: *y\n", "anchors and aliases"),       # no alias bombs: the settings reader's rule
    ("- 2027\n", "expected a mapping"),
    ("years: [2027]\nholiday: [2027-10-01]\n", "holiday: 未知的键 / unknown key"),
    ("holidays: [2027-10-01, 2027-13-01]\n", "(file)"),                # YAML reads the impossible day itself
    ("holidays: ['2027-10-01', '2027-13-01']\n", "holidays[1]: 应为日期 YYYY-MM-DD / expected a day YYYY-MM-DD"),
    ("workdays: 2027-10-09\n", "workdays: 应为列表 / expected a list"),
    ("years: [x]\n", "years[0]: 应为年份 / expected a year"),
    ("years: [[2027]]\n", "years[0]"),
])
def test_a_bad_calendar_file_names_the_file_and_key(folder, text, where):
    _calendar(folder, text)
    with pytest.raises(CalendarError) as err:
        next_working_day(date(2027, 9, 30))
    assert str(err.value).startswith(str(folder / workdays.USER_FILE)) and where in str(err.value)
    assert isinstance(err.value, SettingsError)


def test_an_oversized_calendar_file_is_refused_unread(folder):
    _calendar(folder, "holidays: []\n" + "#" * (1 << 20))
    with pytest.raises(CalendarError, match="over 1 MiB"):
        workdays.is_working_day(date(2027, 1, 4))

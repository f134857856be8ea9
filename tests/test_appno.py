import pytest

from hvpatent.ingest.appno import AppNoError, check_digit, normalize_appno, parse_appno


def test_standard_example_has_check_digit_x():
    # ZC 0006-2003's own example number is 200310100002.X
    assert check_digit("200310100002") == "X"
    assert normalize_appno("200310100002.X") == "200310100002.X"


@pytest.mark.parametrize(
    "raw",
    ["CN200310100002.X", "ZL 2003 1 0100002.X", "200310100002x", "cn200310100002X", " 200310100002 "],
)
def test_spellings_normalise_to_one_form(raw):
    assert normalize_appno(raw) == "200310100002.X"


def test_eight_digit_numbers_before_2003():
    digits = "98223456"
    number = f"{digits}.{check_digit(digits)}"
    assert normalize_appno("CN" + number) == number
    assert parse_appno(number).patent_type == "utility_model"  # third digit 2


def test_google_form_gets_its_check_digit_computed():
    app = parse_appno("CN-202010123456-A")
    assert app.digits == "202010123456"
    assert app.canonical == f"202010123456.{check_digit('202010123456')}"


def test_wrong_check_digit_is_rejected_with_the_expected_one():
    with pytest.raises(AppNoError, match="expected X"):
        parse_appno("200310100002.3")


@pytest.mark.parametrize("raw", ["", "12345", "ABC", "2003101000021.1", None])
def test_garbage_is_rejected(raw):
    with pytest.raises(AppNoError):
        parse_appno(raw)


@pytest.mark.parametrize(("digits", "kind", "pct"), [
    ("202210123456", "invention", False), ("202220123456", "utility_model", False),
    ("202230123456", "design", False), ("202280123456", "invention", True),
])
def test_type_digit(digits, kind, pct):
    app = parse_appno(digits)
    assert (app.patent_type, app.is_pct) == (kind, pct)


def test_missing_check_digit_can_be_required():
    with pytest.raises(AppNoError, match="missing"):
        parse_appno("200310100002", require_check=True)

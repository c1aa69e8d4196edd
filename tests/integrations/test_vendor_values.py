"""The readers every adapter shares: long keys, ids, links, labels and the baseUrl setting."""

from __future__ import annotations

import pytest

from tocsin.alerts.events import MAX_KEY_LENGTH
from tocsin.errors import Problem
from tocsin.integrations.vendor_values import (
    alert_key,
    base_url_setting,
    fit_key,
    ident,
    labels,
    links,
    text,
)


def test_a_key_that_fits_is_kept_stripped() -> None:
    assert fit_key("  db-1!disk  ") == "db-1!disk"
    assert fit_key("k" * MAX_KEY_LENGTH) == "k" * MAX_KEY_LENGTH
    assert alert_key("rule", "alert 7") == "rule:alert 7"


def test_a_long_key_keeps_its_start_and_a_digest_of_the_whole() -> None:
    first, second = "a" * 300 + "1", "a" * 300 + "2"
    fitted = fit_key(first)
    assert fitted == fit_key(first) and fitted != fit_key(second)
    head, _, digest = fitted.rpartition("~")
    assert head == "a" * 200 and len(digest) == 32 and len(fitted) <= MAX_KEY_LENGTH


def test_a_key_that_grows_when_lower_cased_still_fits() -> None:
    # "İ" lower-cases to two characters: the key column compares keys case-insensitively.
    grows = "İ" * 200
    assert len(grows) <= MAX_KEY_LENGTH < len(grows.lower())
    fitted = fit_key(grows)
    assert len(fitted.lower()) <= MAX_KEY_LENGTH and fitted.startswith("İ")


@pytest.mark.parametrize(("value", "expected"), [
    (42, "42"), (" abc ", "abc"), ("", None), ("  ", None), (True, None), (1.5, None), (None, None), ({}, None),
])
def test_ident_takes_whole_numbers_and_text(value: object, expected: str | None) -> None:
    assert ident(value) == expected


def test_text_reads_scalars() -> None:
    values: list[object] = [" x ", 3, 2.5, False, None, [], ""]
    assert [text(v) for v in values] == ["x", "3", "2.5", "false", None, None, None]


def test_links_keep_http_addresses_once() -> None:
    assert links(("https://a.example/1", "A"), ("https://a.example/1", "again"), ("ftp://b.example", "B"),
                 ("javascript:alert(1)", "C"), (None, "D"), ("https://" + "x" * 3000, "E")) == [
        {"href": "https://a.example/1", "text": "A"}]


def test_labels_are_bounded() -> None:
    many = labels((f"k{i}", "v" * 300) for i in range(150))
    assert len(many) == 100 and all(len(v) == 255 for v in many.values())
    assert labels([("", "x"), ("a", None), ("b", 1)]) == {"b": "1"}


def test_base_url_setting() -> None:
    assert base_url_setting({}, "Tool", "https://tool.example") == {}
    assert base_url_setting({"baseUrl": "https://tool.example/"}, "Tool", "https://tool.example") == {
        "baseUrl": "https://tool.example"}
    for bad, field in (({"baseUrl": "ftp://x"}, "integrationSettings.baseUrl"),
                       ({"baseUrl": 7}, "integrationSettings.baseUrl"),
                       ({"other": 1}, "integrationSettings")):
        with pytest.raises(Problem) as caught:
            base_url_setting(bad, "Tool", "https://tool.example")
        assert caught.value.status == 400 and caught.value.field == field

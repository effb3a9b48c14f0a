"""Signed H5 links: bound to one person, one path and an expiry; forged or old links are refused."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.h5.auth import session_user, session_value
from domain.links import LinkCheck, PageLinks

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
Tamper = Callable[[str, dict[str, str]], tuple[str, dict[str, str]]]
LINKS = PageLinks("https://crm.example.com", b"0123456789abcdef-secret", timedelta(days=7))


def _parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_a_link_opens_its_own_path_for_its_own_person_until_it_expires() -> None:
    url = LINKS.quote("zhangwei", 12, NOW)
    assert url.startswith("https://crm.example.com/h5/quotes/12?")
    path, q = _parts(url)
    assert LINKS.check(q["u"], path, q["exp"], q["sig"], NOW) == LinkCheck.OK
    assert LINKS.check(q["u"], path, q["exp"], q["sig"], NOW + timedelta(days=6, hours=23)) == LinkCheck.OK
    assert LINKS.check(q["u"], path, q["exp"], q["sig"], NOW + timedelta(days=7)) == LinkCheck.EXPIRED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path, q: (path, {**q, "u": "lina"}),  # someone else
        lambda path, q: ("/h5/quotes/13", q),  # another record
        lambda path, q: (path, {**q, "exp": str(int(q["exp"]) + 86400)}),  # a longer life
        lambda path, q: (path, {**q, "sig": q["sig"][:-2] + "AA"}),
        lambda path, q: (path, {**q, "exp": "soon"}),
    ],
)
def test_a_changed_link_is_invalid_never_merely_expired(tamper: Tamper) -> None:
    path, q = tamper(*_parts(LINKS.quote("zhangwei", 12, NOW)))
    late = NOW + timedelta(days=30)  # even when it would also have expired
    assert LINKS.check(q["u"], path, q["exp"], q["sig"], late) == LinkCheck.INVALID


def test_another_secret_does_not_verify_and_short_secrets_are_refused() -> None:
    path, q = _parts(LINKS.customer("zhangwei", 3, NOW))
    other = PageLinks("https://crm.example.com", b"another-secret-of-16+")
    assert other.check(q["u"], path, q["exp"], q["sig"], NOW) == LinkCheck.INVALID
    with pytest.raises(ValueError, match="at least 16"):
        PageLinks("https://crm.example.com", b"short")


def test_non_ascii_user_keys_survive_the_url_and_the_session_cookie() -> None:
    path, q = _parts(LINKS.dashboard("王芳", NOW))
    assert q["u"] == "王芳" and LINKS.check(q["u"], path, q["exp"], q["sig"], NOW) == LinkCheck.OK
    cookie = session_value(LINKS, "王芳", NOW)
    assert session_user(LINKS, cookie, NOW + timedelta(hours=7)) == "王芳"
    assert session_user(LINKS, cookie, NOW + timedelta(hours=8)) is None  # sessions last 8 hours
    assert session_user(LINKS, cookie.replace(".", "x", 1), NOW) is None
    # A link signature is not a session: the purposes differ.
    assert session_user(LINKS, f"{cookie.split('.')[0]}.{q['exp']}.{q['sig']}", NOW) is None

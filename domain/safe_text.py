"""One way to put user text into every output format (issue #19, points 6 and 7).

A customer name, a rejection reason or a visit note is written by a user and
read by someone else, often an approver. Each format has its own live markup;
user text must come out as the same characters, never as a link, a heading
or a formula:

=================  ===========================================================
format             what is neutralised
=================  ===========================================================
WeCom text         ``<a href=…>`` (the only markup a text message renders):
                   ``<`` ``>`` become their full-width forms ＜ ＞
markdown           links, images, emphasis, code, headings, quotes, HTML, tables
(WeCom, DingTalk)  (``[ ] ( ) * _ ` # > < | ! ~``) become full-width look-alikes,
                   and line breaks a space, so one value stays one line
template_card /    plain text fields: control characters removed (they render
DingTalk card      no markup; the DingTalk card's ``markdown`` variable is markdown)
H5 pages           Jinja autoescape (bot/h5/site.py), checked by the tests
CSV / xlsx         a cell starting with ``= + - @`` (or tab / CR) gets a leading
                   apostrophe, so Excel shows it as text instead of running it
                   (OWASP "CSV Injection")
=================  ===========================================================

Full-width look-alikes instead of backslash escapes: neither WeCom's nor
DingTalk's markdown documents backslash escaping, and a Chinese reader sees
（ ） and ［ ］ as ordinary punctuation. In ``domain`` so that exports (domain)
and renderers (cards, bot) share it; standard library only.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WECOM_TEXT = str.maketrans({"<": "＜", ">": "＞"})
_MARKDOWN = str.maketrans(
    {
        "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿", "`": "｀", "#": "＃",
        ">": "＞", "<": "＜", "|": "｜", "!": "！", "~": "～", "\n": " ", "\r": " ",
    }
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(text: str) -> str:
    """Text without control characters (NUL, escape sequences); line breaks and tabs kept."""
    return _CONTROL.sub("", text)


def wecom_text(text: str) -> str:
    """User text inside a WeCom text message: no tag survives, so no link."""
    return plain(text).translate(_WECOM_TEXT)


def markdown(text: str) -> str:
    """User text inside WeCom or DingTalk markdown: shown as typed, on one line, never markup."""
    return plain(text).translate(_MARKDOWN)


def spreadsheet_cell(value: Any) -> Any:
    """A value for a CSV / xlsx cell: text that Excel would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value

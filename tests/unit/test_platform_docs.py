"""Every platform rule the code cites resolves to docs/platforms/ in this repository (#18 pt 9).

Comments used to point at a protocol note outside the repository (section codes like W4, D4.5);
someone who clones the project could not follow them.  The codes now name sections of
docs/platforms/wecom.md (W…), dingtalk.md (D…) and crypto.md (§0).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "platforms"
SOURCES = [p for d in ("bot", "cards", "domain", "handlers", "jobs", "tests") for p in (ROOT / d).rglob("*.py")]
SOURCES += list((ROOT / "bot").rglob("*.js"))
CODE = re.compile(r"(?<![\w-])([WD](?:[1-9]|10)(?:\.\d)?)(?![\w-])|(§0)")


def _headings() -> set[str]:
    found: set[str] = set()
    for doc in DOCS.glob("*.md"):
        for line in doc.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                found.update(m.group(1) or m.group(2) for m in CODE.finditer(line))
    return found


def test_no_comment_points_outside_the_repository() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if "protocols" + ".md" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_every_section_code_in_the_code_is_a_heading_in_docs_platforms() -> None:
    headings = _headings()
    platform_files = [p for p in SOURCES if re.search(r"dingtalk|wecom|fakes|h5|settings", str(p.relative_to(ROOT)))]
    used: dict[str, str] = {}
    for path in platform_files:
        for m in CODE.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(m.group(1) or m.group(2), str(path.relative_to(ROOT)))
    assert used, "the scan found no section codes at all"
    missing = {code: where for code, where in used.items() if code not in headings}
    assert missing == {}


def test_the_docs_list_what_is_unconfirmed() -> None:
    for name in ("wecom.md", "dingtalk.md"):
        assert "UNCONFIRMED" in (DOCS / name).read_text(encoding="utf-8")

"""An admin sees how deadlines count and loads a year's holiday schedule with the salesbot command."""

from pathlib import Path

from tests.e2e.test_cli import salesbot

EXAMPLE_2026 = Path(__file__).resolve().parents[2] / "examples" / "workcalendar" / "2026.yaml"


def test_approvals_show_says_how_deadlines_count(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    assert salesbot(url, "db", "upgrade").returncode == 0
    assert "时限按自然小时计" in salesbot(url, "approvals", "show").stdout
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'working_hours: "09:00-18:00"\nrules:\n  - name: 全部走总监\n    steps:\n      - {role: director}\n',
        encoding="utf-8",
    )
    assert salesbot(url, "approvals", "load", str(rules)).returncode == 0
    shown = salesbot(url, "approvals", "show").stdout
    assert "时限按工作时间计：工作日 09:00-18:00（跳过周末和法定节假日，调休上班日照常计时）" in shown


def test_calendar_load_and_show(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    assert salesbot(url, "db", "upgrade").returncode == 0
    loaded = salesbot(url, "calendar", "load", str(EXAMPLE_2026))
    assert loaded.returncode == 0, loaded.stderr
    assert "已载入 2026 年：放假 33 天，调休上班 6 天" in loaded.stdout
    shown = salesbot(url, "calendar", "show", "2026")
    assert "2026: 已载入的数据" in shown.stdout
    assert "2026-10-10 调休上班" in shown.stdout and "2026-10-08 放假（国庆节）" not in shown.stdout
    assert "2026-10-07 放假（国庆节）" in shown.stdout
    bad = tmp_path / "2027.yaml"
    bad.write_text("year: 2027\nholidays:\n  - {name: 元旦, from: 2027-01-01}\nworkdays: [2027-01-06]\n", "utf-8")
    refused = salesbot(url, "calendar", "load", str(bad))
    assert refused.returncode == 1 and "2027-01-06 不是周末" in refused.stderr

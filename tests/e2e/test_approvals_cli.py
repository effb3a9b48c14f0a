"""An admin loads and checks the approval rules with the salesbot command."""

from pathlib import Path

from tests.e2e.test_cli import salesbot

EXAMPLE_RULES = Path(__file__).resolve().parents[2] / "examples" / "approval_rules.yaml"


def test_rules_are_loaded_versioned_and_bad_files_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rules.db'}"
    assert salesbot(url, "db", "upgrade").returncode == 0
    custom = tmp_path / "rules.yaml"
    custom.write_text(
        "rules:\n  - name: 全部走总监\n    steps:\n      - {role: director}\n", encoding="utf-8"
    )
    first = salesbot(url, "approvals", "load", str(custom))
    assert first.returncode == 0, first.stderr
    assert "loaded new version" in first.stdout
    shown = salesbot(url, "approvals", "show").stdout
    assert "全部走总监: 其他所有合同 ⇒ 区域总监" in shown
    back = salesbot(url, "approvals", "load", str(EXAMPLE_RULES))
    assert back.returncode == 0
    assert "大额合同: 金额 > 300,000 ⇒ 区域总监 → 法务 → 财务" in salesbot(url, "approvals", "show").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: 坏规则\n    steps:\n      - {role: boss}\n", encoding="utf-8")
    refused = salesbot(url, "approvals", "load", str(bad))
    assert refused.returncode == 1 and "未知角色「boss」" in refused.stderr
    assert "大额合同" in salesbot(url, "approvals", "show").stdout  # the active rules did not change

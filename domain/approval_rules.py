"""Approval rules: which chain of approvers a contract needs.

Rules are data (an admin edits a YAML file, ``salesbot approvals rules load``
stores it as a new version), checked in order; the first rule whose
condition matches picks the steps. Each step names its approver by
*relation* to the submitter (direct manager, manager's manager) or by *role*
(区域总监, 法务, 财务). Plain data and functions: no database here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import ValidationFailed
from domain.models import ROLE_LABELS, Role

RELATIONS = {"manager": "直属上级", "manager_of_manager": "上级的上级"}

DEFAULT_RULES_YAML = """\
# 合同审批规则：从上到下匹配，第一条满足条件的规则决定审批链。
# 条件 when：amount_over（大于）、amount_at_most（不超过）、customer_levels、teams；不写 when 表示兜底规则。
# 审批人：relation（manager 直属上级 / manager_of_manager 上级的上级）或 role（director 区域总监 / legal 法务 / finance 财务 / manager 销售经理）。
due_hours: 48      # 每一步的审批时限（小时）
remind_hours: 24   # 超过多少小时提醒审批人
# working_hours: "09:00-18:00"   # 可选：只按工作日的上班时间计时（跳过法定节假日，调休上班日照常计时）
rules:
  - name: 常规合同
    when: {amount_at_most: 300000}
    steps:
      - {relation: manager}
  - name: 大额合同
    when: {amount_over: 300000}
    steps:
      - {role: director}
      - {role: legal}
      - {role: finance}
"""

DEFAULT_RULES: dict[str, Any] = {
    "due_hours": 48,
    "remind_hours": 24,
    "rules": [
        {"name": "常规合同", "when": {"amount_at_most": 300000}, "steps": [{"relation": "manager"}]},
        {
            "name": "大额合同",
            "when": {"amount_over": 300000},
            "steps": [{"role": "director"}, {"role": "legal"}, {"role": "finance"}],
        },
    ],
}


@dataclass(frozen=True)
class StepSpec:
    label: str
    role: str | None = None
    relation: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    steps: tuple[StepSpec, ...]
    amount_over: Decimal | None = None
    amount_at_most: Decimal | None = None
    customer_levels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def in_words(self) -> str:
        """What the rule says, for people: "金额超过 ¥300,000.00：区域总监 → 法务 → 财务"."""
        conditions: list[str] = []
        if self.amount_over is not None:
            conditions.append(f"金额超过 ¥{self.amount_over:,.2f}")
        if self.amount_at_most is not None:
            conditions.append(f"金额不超过 ¥{self.amount_at_most:,.2f}")
        if self.customer_levels:
            conditions.append(f"客户等级 {'/'.join(sorted(self.customer_levels))}")
        if self.teams:
            conditions.append(f"团队 {'/'.join(sorted(self.teams))}")
        chain = " → ".join(step.label for step in self.steps)
        return f"{self.name}（{'，'.join(conditions) or '其他合同'}：{chain} 审批）"

    def matches(self, amount: Decimal, customer_level: str | None, team: str | None) -> bool:
        if self.amount_over is not None and not amount > self.amount_over:
            return False
        if self.amount_at_most is not None and not amount <= self.amount_at_most:
            return False
        if self.customer_levels and (customer_level or "") not in self.customer_levels:
            return False
        return not (self.teams and (team or "") not in self.teams)


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    due_hours: int = 48
    remind_hours: int = 24
    extra: dict[str, Any] = field(default_factory=dict)
    # When set, deadlines count only this window of China's workdays (Shanghai time).
    working_hours: tuple[time, time] | None = None

    def after(self, start: datetime, hours: int) -> datetime:
        """``start`` + ``hours``, in working hours when configured, else in calendar hours.

        A year the holiday calendar does not know yet falls back to calendar hours, so a
        contract can always be submitted (the scheduler is the one that fails loudly).
        """
        if self.working_hours is None:
            return start + timedelta(hours=hours)
        from domain.workcalendar import CalendarDataMissing, add_working_hours

        try:
            return add_working_hours(start, hours, *self.working_hours)
        except CalendarDataMissing:
            return start + timedelta(hours=hours)

    def choose(self, amount: Decimal, customer_level: str | None = None, team: str | None = None) -> Rule:
        for rule in self.rules:
            if rule.matches(amount, customer_level, team):
                return rule
        raise ValidationFailed(f"没有适用于金额 ¥{amount:,.2f} 的审批规则，请联系管理员补充规则")


def version_of(data: dict[str, Any]) -> str:
    """A stable short hash of the parsed rules: same rules, same version, whatever the formatting."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"{where}：金额「{value}」不是数字") from exc
    if amount < 0:
        raise ValidationFailed(f"{where}：金额不能为负数")
    return amount


def _step(raw: Any, where: str) -> StepSpec:
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where}：每一步要写成 {{role: legal}} 或 {{relation: manager}}")
    role, relation = raw.get("role"), raw.get("relation")
    if bool(role) == bool(relation):
        raise ValidationFailed(f"{where}：每一步只能写 role 或 relation 之一")
    if role is not None and role not in {r.value for r in Role}:
        raise ValidationFailed(f"{where}：未知角色「{role}」（可用：director、legal、finance、manager）")
    if relation is not None and relation not in RELATIONS:
        raise ValidationFailed(f"{where}：未知关系「{relation}」（可用：manager、manager_of_manager）")
    label = raw.get("label") or (ROLE_LABELS[Role(role)] if role else RELATIONS[str(relation)])
    return StepSpec(label=str(label), role=role, relation=relation)


def parse_rules(data: Any) -> RuleSet:
    """Validate parsed YAML/JSON rules; errors are in Chinese and name the rule and step."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        raise ValidationFailed("审批规则文件需要一个非空的 rules 列表")
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"], start=1):
        where = f"第 {i} 条规则"
        if not isinstance(raw, dict) or not raw.get("name"):
            raise ValidationFailed(f"{where}：缺少 name")
        where = f"规则「{raw['name']}」"
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise ValidationFailed(f"{where}：至少需要一个审批步骤（steps）")
        when = raw.get("when") or {}
        if not isinstance(when, dict):
            raise ValidationFailed(f"{where}：when 需要写成键值对")
        unknown = set(when) - {"amount_over", "amount_at_most", "customer_levels", "teams"}
        if unknown:
            raise ValidationFailed(f"{where}：不认识的条件 {', '.join(sorted(unknown))}")
        rules.append(
            Rule(
                name=str(raw["name"]),
                steps=tuple(_step(s, f"{where} 第 {n} 步") for n, s in enumerate(steps_raw, start=1)),
                amount_over=_money(when["amount_over"], where) if "amount_over" in when else None,
                amount_at_most=_money(when["amount_at_most"], where) if "amount_at_most" in when else None,
                customer_levels=frozenset(str(x) for x in when.get("customer_levels") or ()),
                teams=frozenset(str(x) for x in when.get("teams") or ()),
            )
        )
    due, remind = data.get("due_hours", 48), data.get("remind_hours", 24)
    if not isinstance(due, int) or not isinstance(remind, int) or not 0 < remind < due:
        raise ValidationFailed("due_hours 和 remind_hours 需要是整数，且 0 < remind_hours < due_hours")
    return RuleSet(
        version=version_of(data),
        rules=tuple(rules),
        due_hours=due,
        remind_hours=remind,
        working_hours=_window(data.get("working_hours")),
    )


def _window(raw: Any) -> tuple[time, time] | None:
    """"09:00-18:00" → (09:00, 18:00); absent → None (calendar hours)."""
    if raw in (None, ""):
        return None
    try:
        start_text, end_text = str(raw).replace("～", "-").replace("~", "-").split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError as exc:
        raise ValidationFailed(f"working_hours 应写成 \"09:00-18:00\"，不是「{raw}」") from exc
    if end <= start:
        raise ValidationFailed("working_hours 的下班时间要晚于上班时间")
    return start, end


def default_ruleset() -> RuleSet:
    return parse_rules(DEFAULT_RULES)

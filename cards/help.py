"""The welcome / 帮助 card, fitted to the person's role.

A 法务 or 财务 never logs visits or photographs quotes, so their card offers
approvals instead; every role's card lists every command that person can use,
so 帮助 is the one place to learn them.
"""

from __future__ import annotations

from cards.keys import HelpTap
from cards.model import Button, Card, Field
from domain.models import Role

# help topic (the tap key ``HelpTap(topic)``) → (button text, the hint sent when tapped)
HELP_ACTIONS: dict[str, tuple[str, str]] = {
    "visit": (
        "记拜访",
        "直接发一句话就能记拜访，例如：\n今天拜访华为张总，谈了报价，下周三再跟进\n也可以发送位置签到。",
    ),
    "quote": ("拍报价单", "对准纸质报价单拍照发给我，我会识别客户、明细和合计，请你确认后保存。"),
    "todo": ("我的待办", "发送「我的待办」查看今天要跟进的客户和待审批事项。"),
    "submit": (
        "提交合同",
        "发送「提交合同 苏州精工 38万」，或在已确认的报价单卡片上点「提交审批」。\n"
        "被驳回后可在卡片上点「重新提交」，或发「重新提交 HT-20261126-001 35万 说明」。",
    ),
    "approvals": (
        "我的审批",
        "发送「我的审批」查看等你审批的合同；在审批卡片上点「同意」或「驳回」，也可以打开「审批详情」页面审批。",
    ),
    "delegate": (
        "委托",
        "出差或休假时发送「委托 王芳 至 12月5日」，期间由她代你审批；发「取消委托」提前结束。",
    ),
}

SELLING = {Role.REP, Role.MANAGER}
APPROVING = {Role.MANAGER, Role.DIRECTOR, Role.LEGAL, Role.FINANCE, Role.ADMIN}


def commands_for(role: str | None) -> list[str]:
    """Every command a person with ``role`` can use, as they would type it (short: a card shows ~110 characters)."""
    r = Role(role) if role in {x.value for x in Role} else Role.REP
    out: list[str] = []
    if r in SELLING:
        out += ["记拜访（直接发一句话）", "拍报价单", "合计改成10万", "提交合同", "重新提交", "审批进度", "催办", "撤回"]
    if r in APPROVING:
        out += ["我的审批"]
        if r not in SELLING:
            out += ["审批进度"]
    if r in SELLING:
        out += ["我的待办", "本周业绩", "查客户"]
    if r in APPROVING:
        out += ["委托", "取消委托"]
    return out + ["帮助"]


def help_card(card_id: str, name: str | None, role: str | None) -> Card:
    """The card for 帮助 and for entering the chat: buttons and commands for this role."""
    r = Role(role) if role in {x.value for x in Role} else Role.REP
    if r == Role.REP:
        topics = ["visit", "quote", "submit", "todo"]
        fields = [
            Field("记拜访", "发一句话：今天拜访华为张总…"),
            Field("报价单", "拍照发送，自动识别金额"),
            Field("合同", "提交合同，卡片上催办 / 撤回 / 重新提交"),
            Field("提醒", "跟进到期、商机停滞、审批结果"),
        ]
    elif r == Role.MANAGER:
        topics = ["approvals", "visit", "todo", "delegate"]
        fields = [
            Field("审批", "卡片上一键同意 / 驳回"),
            Field("团队", "周一排行榜、停滞商机、审批超时提醒"),
            Field("记拜访", "发一句话：今天拜访华为张总…"),
        ]
    else:  # 区域总监, 法务, 财务, 管理员: they approve
        topics = ["approvals", "delegate"]
        fields = [
            Field("审批", "卡片上一键同意 / 驳回，或打开审批详情"),
            Field("委托", "休假时委托同事代为审批"),
            Field("提醒", "审批超时提醒"),
        ]
    return Card(
        title="销售助手可以帮你",
        card_id=card_id,
        subtitle=f"{name}，你好！" if name else "你好！",
        description="可用指令：" + "、".join(commands_for(role)),
        fields=fields,
        buttons=[
            Button(HELP_ACTIONS[topic][0], HelpTap(topic).pack(), "primary" if i == 0 else "default")
            for i, topic in enumerate(topics)
        ],
    )

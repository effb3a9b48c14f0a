"""How the rep was in touch, from what the rep did (issue #15; messages written for these tests)."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
CUSTOMERS = [CustomerRef(1, "苏州精工机械有限公司", ("精工",)), CustomerRef(2, "比亚迪股份有限公司", ("比亚迪",))]


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        # something sent over is not the rep going there
        ("比亚迪刘工加了微信 把产品手册发过去了", "wechat"),
        ("精工王总 微信上把报价寄过去的快递单号给他了", "wechat"),
        ("精工王总 打了个电话过去 说在开会", "phone"),
        ("精工王总 发了条微信过去", "wechat"),
        # a call the rep placed (去了个电话), by mobile, or as a voice call
        ("给精工王总去了个电话 问了下进度", "phone"),
        ("精工王总 手机上聊了半小时", "phone"),
        ("精工王总 打了个语音 说图纸收到了", "phone"),
        ("精工王总 微信电话聊了下交期", "wechat"),  # a WeChat call is WeChat, as 微信语音 is
        ("刚跟比亚迪刘总微信视频了一下 看了现场的问题 明天派人过去", "wechat"),  # and so is a WeChat video call
        ("精工王总 钉钉视频 远程看了现场", "meeting"),
        # a call still to come is the next step, not how the rep was in touch
        ("精工王总说过两天给我打电话", "visit"),
        ("比亚迪王经理说下周给答复 我周四先打个电话催一下", "visit"),
        ("今天上午 精工王工 电话 说 现场 尺寸 有 变化", "phone"),  # dictated 「电话 说」 with the site after it
        ("精工王总刚打来说标书要补一份资质证明", "phone"),
        # a first meeting where WeChat was added is a visit
        ("精工王总今天第一次见面 人很爽快 加了微信", "visit"),
        # written messages in other apps, unless they held a meeting there
        ("精工王总 短信确认了交期", "wechat"),
        ("精工王总 钉钉上说下周给答复", "wechat"),
        ("精工王总 通过钉钉发了方案", "wechat"),
        ("精工王总发消息说样品测试通过了", "wechat"),
        ("精工王总 电话没接 给他留了言", "wechat"),
        ("精工王总 在线沟通了方案", "meeting"),
        ("精工王总 在钉钉上开了个会 过了下图纸", "meeting"),
        # a visit in the background or one that did not happen is not how the rep was in touch this time
        ("之前拜访过精工王总 今天微信问了下进度", "wechat"),
        ("精工王总 原定拜访取消 电话简单沟通", "phone"),
        ("精工王总 拜访过程中聊了报价", "visit"),
        # a meeting of any name, unless the rep went there for it
        ("比亚迪刘工 一起开了个项目启动会", "meeting"),
        ("精工王总 电话会 对了下排产", "meeting"),
        ("去精工开了个会 王总也在", "visit"),
        ("精工王总 在他们会议室开了个会", "visit"),
    ],
)
def test_channel_by_what_the_rep_did(text: str, channel: str) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).channel == channel


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("Had a video call with BYD Mr. Liu", "meeting"),
        ("WeChat call with Mr. Liu from BYD", "wechat"),
        ("Texted Mr. Liu of BYD about the delivery", "wechat"),
        ("Called BYD, Mr. Liu wants a demo next Tuesday", "phone"),
    ],
)
def test_english_channels(text: str, channel: str) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).channel == channel


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        # said on a remote channel in so many words beats a weak sign of being there
        ("精工王总 微信上说 样件在他们车间试过了 没问题", "wechat"),
        ("比亚迪刘工在微信上发了两张现场的照片 说有漏油", "wechat"),
        ("精工王总 电话里说 现场那台已经调好了", "phone"),
        # met in person at an event
        ("比亚迪刘工 在行业峰会上聊了十分钟 互相加了微信", "visit"),
        ("精工王总 年会上碰到 敬了杯酒", "visit"),
        # a call written in English inside Chinese, and a video platform named
        ("精工王总 call了一下 确认了交期", "phone"),
        ("比亚迪刘工 zoom上过了一遍方案", "meeting"),
        ("Teams call with BYD Liu, went through the test report", "meeting"),
        ("BYD Liu, met at their plant in 深圳, walked the line", "visit"),
    ],
)
def test_explicit_channels_and_events(text: str, channel: str) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).channel == channel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the message opens with the call: what it arranged or sent is no visit
        ("电话跟华为的沈工聊了下，他们装配线要升级，让我们先寄一份产品目录过去。", "phone"),
        ("华为张总今天电话里说他们下月要来苏州参观我们的工厂，让我们安排接待", "phone"),
        ("给精工采购打了个电话，是展会上加的微信，他说目前没有需求", "phone"),
        # a visit after the call is the visit
        ("华为何经理 早上打了个电话 下午又当面聊了", "visit"),
        ("给华为张总打了个电话 下午就去了一趟 见了面", "visit"),
    ],
)
def test_a_call_first_and_what_it_arranged(text: str, expected: str) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).channel == expected

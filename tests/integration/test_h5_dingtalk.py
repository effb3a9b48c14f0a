"""H5 pages opened inside DingTalk: 免登 (docs/platforms/dingtalk.md D9) against the fake DingTalk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from tests.e2e.dingtalk_stack import STRANGER, WANG, ZHANG, DingTalkStack, dingtalk_stack

CORP_ID = "dingfakecorp0001"
DINGTALK_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(DingTalk/7.6.0) com.laiwang.DingTalk"


@pytest.fixture
def stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(
        db_url, worker=False, h5_secret="h5-secret-for-tests-0123456789", dingtalk_corp_id=CORP_ID
    ) as s:
        yield s


@pytest.fixture
def client(stack: DingTalkStack) -> Iterator[TestClient]:
    c = TestClient(create_app(stack.runtime), follow_redirects=False)  # no lifespan: no worker needed
    try:
        yield c
    finally:
        c.close()


def _login_url(client: TestClient, code: str, next_path: str | None = None) -> str:
    """What the login page's script does: open the page in DingTalk, then go to the auth route
    with the code and the page's state (the state cookie is now in this client)."""
    page = client.get(next_path or "/h5/customers", headers={"User-Agent": DINGTALK_UA})
    m = re.search(r'var state = "([0-9a-f]+)"', page.text)
    assert m is not None, page.text
    query = urlencode({"code": code, "state": m.group(1), **({"next": next_path} if next_path else {})})
    return f"/h5/auth/dingtalk?{query}"


def test_opened_in_dingtalk_without_a_session_the_page_asks_the_jsapi_for_a_code(client: TestClient) -> None:
    page = client.get("/h5/dashboard", headers={"User-Agent": DINGTALK_UA})
    assert page.status_code == 200 and "正在通过钉钉登录" in page.text
    assert "g.alicdn.com/dingding/dingtalk-jsapi" in page.text  # DingTalk's CDN, never ours
    assert "dd.runtime.permission.requestAuthCode" in page.text and f'"{CORP_ID}"' in page.text
    assert '"/h5/auth/dingtalk"' in page.text and '"/h5/dashboard"' in page.text
    marked = client.get("/h5/customers?platform=dingtalk")
    assert marked.status_code == 200 and "requestAuthCode" in marked.text
    elsewhere = client.get("/h5/customers")  # neither DingTalk nor WeCom: no way in
    assert elsewhere.status_code == 403


def test_a_valid_code_opens_the_page_and_is_single_use(stack: DingTalkStack, client: TestClient) -> None:
    code = stack.fake.issue_auth_code(WANG)
    landing = client.get(_login_url(client, code, "/h5/dashboard"))
    assert landing.status_code == 303 and landing.headers["location"] == "/h5/dashboard"
    assert "salesbot_h5" in landing.cookies
    board = client.get("/h5/dashboard", headers={"User-Agent": DINGTALK_UA})
    assert board.status_code == 200 and "王芳" in board.text and "销售漏斗" in board.text
    client.cookies.clear()  # another browser tries the same code
    again = client.get(_login_url(client, code, "/h5/dashboard"))
    assert again.status_code == 403 and "登录失败" in again.text  # codes are single use
    assert "salesbot_h5" not in again.cookies


def test_an_expired_or_unknown_code_is_refused(stack: DingTalkStack, client: TestClient) -> None:
    code = stack.fake.issue_auth_code(ZHANG)
    stack.clock.advance(timedelta(minutes=5, seconds=1))
    late = client.get(_login_url(client, code))
    assert late.status_code == 403 and "无效或已过期" in late.text
    made_up = client.get(_login_url(client, "not-a-code"))
    assert made_up.status_code == 403 and "登录失败" in made_up.text
    assert client.get("/h5/auth/dingtalk").status_code == 403


def test_a_dingtalk_member_who_is_not_a_salesbot_user_gets_403(stack: DingTalkStack, client: TestClient) -> None:
    code = stack.fake.issue_auth_code(STRANGER)
    page = client.get(_login_url(client, code, "/h5/customers"))
    assert page.status_code == 403 and "账号未开通" in page.text
    assert "salesbot_h5" not in page.cookies


@pytest.mark.parametrize("target", ["https://evil.example/h5/", "//evil.example/h5/x", "/h5\\..\\evil", "/admin"])
def test_next_never_leaves_our_pages(stack: DingTalkStack, client: TestClient, target: str) -> None:
    code = stack.fake.issue_auth_code(ZHANG)
    url = _login_url(client, code)
    landing = client.get(url.replace("code=", "next=" + quote(target, safe="") + "&code="))
    assert landing.status_code == 303 and landing.headers["location"] == "/h5/customers"


def test_a_code_without_this_browsers_state_is_refused(stack: DingTalkStack, client: TestClient) -> None:
    """A code from the attacker's own device, sent as a link, must not log the victim in."""
    code = stack.fake.issue_auth_code(ZHANG)
    forged = client.get(f"/h5/auth/dingtalk?code={code}&next=/h5/customers&state=0123456789abcdef")
    assert forged.status_code == 403 and "salesbot_h5" not in forged.cookies

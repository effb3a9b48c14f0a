"""WeCom callback crypto against the official and wechatpy vectors (docs/platforms/crypto.md §0, wecom.md W1.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.wecom.crypto import (
    CallbackRejected,
    DecryptError,
    MalformedXMLError,
    ReceiveIdError,
    ReplayError,
    SignatureError,
    WeComCrypto,
    parse_xml,
    signature,
)

SAMPLES = Path("/work/shared/samples/callbacks/wecom")
VECTOR_FILES = sorted(SAMPLES.glob("*.json"))

# Official vector A/B (docs/platforms/wecom.md W1.1), typed in independently of the JSON files.
TOKEN_A = "QDG6eK"
AES_KEY_A = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_A = "wx5823bf96d3bd56c7"
ECHOSTR_A = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
ENCRYPT_B = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/s"
    "YYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJ"
    "YuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGU"
    "callcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDY"
    "A5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
PLAIN_B = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
)

# wechatpy vector C (docs/platforms/wecom.md W1.1).
TOKEN_C = "123456"
AES_KEY_C = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
CORP_C = "wx49f0ab532d5d035a"
ECHOSTR_C = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="


def envelope(encrypt: str, to_user: str = CORP_A) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    )


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def crypto_of(data: dict[str, Any]) -> WeComCrypto:
    return WeComCrypto(data["token"], data["encoding_aes_key"], data["corp_id"])


def all_cases() -> list[Any]:
    params = []
    for path in VECTOR_FILES:
        data = load(path)
        for case in data["cases"]:
            params.append(pytest.param(data, case, id=f"{path.stem}:{case['name']}"))
    return params


CASES = all_cases()


def test_vector_files_are_present() -> None:
    names = {p.name for p in VECTOR_FILES}
    assert {"official_wecom_crypto_vectors.json", "wechatpy_work_crypto_vectors.json"} <= names
    assert len(CASES) >= 6


# -- every vector in the sample JSON files ---------------------------------------------


@pytest.mark.parametrize(("data", "case"), CASES)
def test_signature_of_every_vector(data: dict[str, Any], case: dict[str, Any]) -> None:
    assert case["expected_signature_ok"] is True
    got = signature(data["token"], case["timestamp"], case["nonce"], case["encrypt"])
    assert got == case["msg_signature"]


@pytest.mark.parametrize(("data", "case"), CASES)
def test_decrypt_ciphertext_of_every_vector(data: dict[str, Any], case: dict[str, Any]) -> None:
    assert case["expected_receiveid"] == data["corp_id"]
    plain = crypto_of(data).decrypt_ciphertext(
        case["msg_signature"], case["timestamp"], case["nonce"], case["encrypt"]
    )
    assert plain == case["expected_plaintext"]


@pytest.mark.parametrize(("data", "case"), CASES)
def test_decrypt_message_of_every_vector_in_an_xml_envelope(
    data: dict[str, Any], case: dict[str, Any]
) -> None:
    body = envelope(case["encrypt"], data["corp_id"]).encode("utf-8")
    plain = crypto_of(data).decrypt_message(body, case["msg_signature"], case["timestamp"], case["nonce"])
    assert plain == case["expected_plaintext"]


@pytest.mark.parametrize(("data", "case"), CASES)
def test_every_vector_fails_with_another_nonce(data: dict[str, Any], case: dict[str, Any]) -> None:
    with pytest.raises(SignatureError):
        crypto_of(data).decrypt_ciphertext(
            case["msg_signature"], case["timestamp"], case["nonce"] + "1", case["encrypt"]
        )


def wechatpy_vectors() -> dict[str, Any]:
    return load(SAMPLES / "wechatpy_work_crypto_vectors.json")


@pytest.mark.parametrize("neg", wechatpy_vectors()["negative_cases"], ids=lambda n: n["name"])
def test_negative_cases_from_file(neg: dict[str, Any]) -> None:
    assert neg["expected"] == "InvalidSignature"
    with pytest.raises(SignatureError) as info:
        crypto_of(wechatpy_vectors()).verify_url(
            neg["msg_signature"], neg["timestamp"], neg["nonce"], neg["encrypt"]
        )
    assert info.value.http_status == 403


def test_encrypt_test_from_file_is_byte_exact() -> None:
    data = wechatpy_vectors()
    enc = data["encrypt_test"]
    out = crypto_of(data).encrypt_reply(
        enc["plaintext"], enc["nonce"], enc["timestamp"], random16=enc["fixed_random_16"].encode("ascii")
    )
    assert out == enc["expected_output"]


def test_official_http_examples_end_to_end() -> None:
    """Raw query strings as WeCom sends them: a proper parser keeps the %2B as '+'."""
    data = load(SAMPLES / "official_wecom_crypto_vectors.json")
    crypto = crypto_of(data)
    http = data["http_examples"]

    get_q = {k: v[0] for k, v in parse_qs(urlsplit(http["verify_url_GET"].split(" ")[1]).query).items()}
    assert "+" in get_q["echostr"]
    assert crypto.verify_url(
        get_q["msg_signature"], get_q["timestamp"], get_q["nonce"], get_q["echostr"]
    ) == ("1616140317555161061")

    post_q = {k: v[0] for k, v in parse_qs(http["decrypt_xml_POST_query"]).items()}
    plain = crypto.decrypt_message(
        http["decrypt_xml_POST_body"], post_q["msg_signature"], post_q["timestamp"], post_q["nonce"]
    )
    assert plain == PLAIN_B

    json_q = {k: v[0] for k, v in parse_qs(http["decrypt_json_POST_query"]).items()}
    body = json.loads(http["decrypt_json_POST_body"])
    plain_json = crypto.decrypt_ciphertext(
        json_q["msg_signature"], json_q["timestamp"], json_q["nonce"], body["encrypt"]
    )
    assert json.loads(plain_json)["Content"] == "hello"


# -- the named vectors of docs/platforms/wecom.md W1.1 ------------------------------------------------


def crypto_a(corp_id: str = CORP_A) -> WeComCrypto:
    return WeComCrypto(TOKEN_A, AES_KEY_A, corp_id)


def test_official_vector_a_url_verification() -> None:
    out = crypto_a().verify_url(
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", ECHOSTR_A
    )
    assert out == "1616140317555161061"


def test_echostr_plus_must_survive_url_decoding() -> None:
    """The classic bug: decoding '+' as a space breaks the signature."""
    broken = ECHOSTR_A.replace("+", " ")
    with pytest.raises(SignatureError):
        crypto_a().verify_url("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", broken)


def test_official_vector_b_encrypted_message() -> None:
    plain = crypto_a().decrypt_message(
        envelope(ENCRYPT_B), "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
    )
    assert plain == PLAIN_B


def test_wechatpy_vector_c_url_check_and_wrong_nonce() -> None:
    crypto = WeComCrypto(TOKEN_C, AES_KEY_C, CORP_C)
    sig = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
    assert crypto.verify_url(sig, "1411443780", "437374425", ECHOSTR_C) == "5927782489442352469"
    with pytest.raises(SignatureError):
        crypto.verify_url(sig, "1411443780", "437374424", ECHOSTR_C)


def test_wechatpy_vector_c_decrypt() -> None:
    case = next(c for c in wechatpy_vectors()["cases"] if c["name"] == "decrypt_message")
    crypto = WeComCrypto(TOKEN_C, AES_KEY_C, CORP_C)
    plain = crypto.decrypt_message(
        envelope(case["encrypt"], CORP_C),
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        "1411525903",
        "461056294",
    )
    assert "<FromUserName><![CDATA[messense]]></FromUserName>" in plain
    assert "<MsgId>4363689963896700987</MsgId>" in plain


def test_wechatpy_vector_c_deterministic_encrypt() -> None:
    crypto = WeComCrypto(TOKEN_C, AES_KEY_C, CORP_C)
    plain = (
        "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
        "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
        "<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
    )
    out = crypto.encrypt_reply(plain, "461056294", 1411525903, random16=b"1234567890123456")
    root = parse_xml(out)
    assert root.findtext("Encrypt", "").startswith("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsG")
    assert root.findtext("Encrypt", "").endswith("ypD3WeK2XeFYFMNMpatF9XiKzHo3")
    assert root.findtext("MsgSignature") == "407518b7649e86ef23978113f92d27afa9296533"
    assert root.findtext("TimeStamp") == "1411525903"
    assert root.findtext("Nonce") == "461056294"


def test_random_reply_round_trips_and_differs_each_time() -> None:
    crypto = WeComCrypto(TOKEN_C, AES_KEY_C, CORP_C)
    plain = "<xml><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已同意]]></ReplaceName></Button></xml>"
    first = parse_xml(crypto.encrypt_reply(plain, "123", "1700000000"))
    second = parse_xml(crypto.encrypt_reply(plain, "123", "1700000000"))
    assert first.findtext("Encrypt") != second.findtext("Encrypt")
    for root in (first, second):
        back = crypto.decrypt_ciphertext(
            root.findtext("MsgSignature", ""), "1700000000", "123", root.findtext("Encrypt", "")
        )
        assert back == plain


@pytest.mark.parametrize("nonce", ["", "]]><x>", "a b", "n" * 65])
def test_encrypt_reply_refuses_nonce_that_could_break_the_envelope(nonce: str) -> None:
    with pytest.raises(ValueError):
        crypto_a().encrypt_reply("<xml/>", nonce, "1409659813")


def test_encrypt_reply_refuses_bad_timestamp_and_random() -> None:
    with pytest.raises(ValueError):
        crypto_a().encrypt_reply("<xml/>", "1", "14096x")
    with pytest.raises(ValueError):
        crypto_a().encrypt_reply("<xml/>", "1", "1409659813", random16=b"short")


# -- rejections -----------------------------------------------------------------------


def test_wrong_receive_id_is_rejected() -> None:
    """The signature does not cover the receive id, so only the decrypted id catches this."""
    with pytest.raises(ReceiveIdError) as info:
        crypto_a("ww_not_our_corp").decrypt_message(
            envelope(ENCRYPT_B), "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
        )
    assert info.value.http_status == 403
    with pytest.raises(ReceiveIdError):
        crypto_a("ww_not_our_corp").verify_url(
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", ECHOSTR_A
        )


@pytest.mark.parametrize(
    "encrypt",
    [
        "AAAA",  # 3 bytes: not a whole AES block
        "not base64 at all!",  # bad base64 padding
        "QUJDREVGR0hJSktMTU5PUA==",  # one block of garbage: no room for the length field
    ],
)
def test_validly_signed_garbage_is_a_decrypt_error(encrypt: str) -> None:
    sig = signature(TOKEN_A, "1409659813", "1", encrypt)
    with pytest.raises(DecryptError) as info:
        crypto_a().decrypt_ciphertext(sig, "1409659813", "1", encrypt)
    assert info.value.http_status == 400


def test_signature_compare_accepts_uppercase_hex_only_if_equal() -> None:
    out = crypto_a().verify_url(
        "5C45FF5E21C57E6AD56BAC8758B79B1D9AC89FD3", "1409659589", "263014780", ECHOSTR_A
    )
    assert out == "1616140317555161061"
    with pytest.raises(SignatureError):
        crypto_a().verify_url("", "1409659589", "263014780", ECHOSTR_A)


def test_exception_statuses() -> None:
    assert SignatureError.http_status == 403
    assert ReceiveIdError.http_status == 403
    assert ReplayError.http_status == 403
    assert MalformedXMLError.http_status == 400
    assert DecryptError.http_status == 400
    for cls in (SignatureError, ReceiveIdError, ReplayError, MalformedXMLError, DecryptError):
        assert issubclass(cls, CallbackRejected)


@pytest.mark.parametrize("key", ["", "short", AES_KEY_A + "x", AES_KEY_A[:-1] + "="])
def test_constructor_rejects_bad_encoding_aes_key(key: str) -> None:
    with pytest.raises(ValueError):
        WeComCrypto(TOKEN_A, key, CORP_A)


# -- replay window (injected clock) -------------------------------------------------------


def test_replay_window_with_injected_clock() -> None:
    check = WeComCrypto.check_timestamp
    assert check("1409659813", now=1409659813.0) == 1409659813
    assert check("1409659813", now=1409659813.0 + 600) == 1409659813
    assert check("1409659813", now=1409659813.0 - 600) == 1409659813
    with pytest.raises(ReplayError):
        check("1409659813", now=1409659813.0 + 601)
    with pytest.raises(ReplayError):
        check("1409659813", now=1409659813.0 - 601)
    with pytest.raises(ReplayError):
        check("1409659813", now=1409659813.0 + 61, window_s=60)
    # Also callable on an instance, the way the callback endpoint holds it.
    assert crypto_a().check_timestamp("100", now=150.0, window_s=60) == 100


@pytest.mark.parametrize("bad", ["", "abc", "-5", "1.5", "1e9", " 1409659813"])
def test_replay_window_rejects_non_timestamps(bad: str) -> None:
    with pytest.raises(ReplayError):
        WeComCrypto.check_timestamp(bad, now=1409659813.0)


# -- hostile envelopes ------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><Encrypt>&lol9;</Encrypt></xml>"""

XXE_FILE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""

XXE_PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>
<xml><Encrypt>x</Encrypt></xml>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">
<xml><Encrypt>x</Encrypt></xml>"""

HOSTILE = {
    "billion_laughs": BILLION_LAUGHS,
    "xxe_file": XXE_FILE,
    "xxe_parameter_entity": XXE_PARAMETER,
    "external_dtd": EXTERNAL_DTD,
    "undeclared_entity": "<xml><Encrypt>&foo;</Encrypt></xml>",
    "not_xml": "encrypt=abc",
    "truncated": "<xml><Encrypt><![CDATA[abc]]></Encrypt>",
    "empty": "",
    "wrong_root": f"<envelope><Encrypt><![CDATA[{ENCRYPT_B}]]></Encrypt></envelope>",
    "no_encrypt": "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName></xml>",
    "blank_encrypt": "<xml><Encrypt><![CDATA[  ]]></Encrypt></xml>",
}


@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_or_broken_envelopes_are_malformed(body: str) -> None:
    with pytest.raises(MalformedXMLError) as info:
        crypto_a().decrypt_message(
            body, "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
        )
    assert info.value.http_status == 400


def test_hostile_envelope_as_bytes_is_malformed() -> None:
    with pytest.raises(MalformedXMLError):
        crypto_a().decrypt_message(BILLION_LAUGHS.encode(), "x", "1", "1")


def test_envelope_is_checked_before_signature() -> None:
    """A DTD must be refused even when the query signature is garbage (no work for attackers)."""
    with pytest.raises(MalformedXMLError):
        crypto_a().decrypt_message(XXE_FILE, "garbage", "1", "1")
    with pytest.raises(SignatureError):
        crypto_a().decrypt_message(envelope(ENCRYPT_B), "garbage", "1409659813", "1372623149")

"""DingTalk event crypto and HMAC signs against the vectors in docs/platforms (crypto.md §0, dingtalk.md D1, D2, D8)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.dingtalk.crypto import (
    DecryptError,
    DingTalkCrypto,
    MalformedPayloadError,
    ReceiveIdError,
    ReplayError,
    SignatureError,
    normalize_timestamp,
    signature,
)
from bot.dingtalk.sign import compute_sign, signed_webhook_url, verify_robot_sign, verify_webhook_sign
from bot.fakes.wecom_driver import decrypt_msg, encrypt_msg

SAMPLE = Path("/work/shared/samples/callbacks/dingtalk/official_dingtalk_event_crypto_vector.json")

# D-A: official repo, Go/C# demo (typed in from docs/platforms/dingtalk.md D1, independently of the JSON file).
A = {
    "token": "tokenxxxx",
    "aes_key": "o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus",
    "owner": "dingxxxxxx",
    "signature": "f36f4ba5337d426c7d4bca0dbcb06b3ddc1388fc",
    "timestamp": "1605695694141",
    "nonce": "WelUQl6bCqcBa2fM",
    "encrypt": "X1VSe9cTJUMZu60d3kyLYTrBq5578ZRJtteU94wG0Q4Uk6E/wQYeJRIC0/UFW5Wkya1Ihz9oXAdLlyC9TRaqsQ==",
    "plain": "success",
}
# D-C: 007gzs/dingtalk-sdk tests; D-C' its deterministic encryption.
C = {
    "token": "123456",
    "aes_key": "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij",
    "owner": "suite4xxxxxxxxxxxxxxx",
    "signature": "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0",
    "timestamp": "1445827045067",
    "nonce": "nEXhMP4r",
    "encrypt": (
        "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9V"
        "rYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ=="
    ),
    "plain": '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
}
C_PRIME_SIGNATURE = "bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd"
C_PRIME_ENCRYPT = (
    "5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2YtW901k4KHbP1/wpF"
    "J3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSpkouDMSvD+iU14i7V8ix1ia1Tb9ogog=="
)


def crypto_of(v: dict[str, str]) -> DingTalkCrypto:
    return DingTalkCrypto(v["token"], v["aes_key"], v["owner"])


# ----------------------------------------------------------------------------- vectors
@pytest.mark.parametrize("vector", [A, C], ids=["D-A", "D-C"])
def test_official_vectors_verify_and_decrypt(vector: dict[str, str]) -> None:
    assert signature(vector["token"], vector["timestamp"], vector["nonce"], vector["encrypt"]) == vector["signature"]
    plain = crypto_of(vector).decrypt(vector["signature"], vector["timestamp"], vector["nonce"], vector["encrypt"])
    assert plain == vector["plain"]


def test_official_sample_file_d_b_decrypts_to_check_url() -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    crypto = DingTalkCrypto(sample["token"], sample["aes_key"], sample["owner_key_corpId"])
    for case in sample["cases"]:
        body = json.dumps({"encrypt": case["encrypt"]})
        plain = crypto.decrypt_body(body, case["msg_signature"], case["timeStamp"], case["nonce"])
        assert plain == case["expected_plaintext"] == '{"EventType":"check_url"}'
        reply = crypto.check_url(body, case["msg_signature"], case["timeStamp"], case["nonce"], now_ms=1608001896900)
        msg, owner = decrypt_msg(sample["aes_key"], reply["encrypt"])  # the independent implementation
        assert (msg, owner) == ("success", case["expected_owner_key"])
        assert reply["msg_signature"] == signature(sample["token"], reply["timeStamp"], reply["nonce"], reply["encrypt"])


def test_d_c_prime_deterministic_encryption_is_byte_exact() -> None:
    reply = crypto_of(C).encrypt_reply(
        C["plain"], timestamp=C["timestamp"], nonce=C["nonce"], random16=b"1234567890123456"
    )
    assert reply == {
        "msg_signature": C_PRIME_SIGNATURE,
        "timeStamp": C["timestamp"],
        "nonce": C["nonce"],
        "encrypt": C_PRIME_ENCRYPT,
    }


def test_d_c_with_another_nonce_fails_the_signature() -> None:
    with pytest.raises(SignatureError):
        crypto_of(C).decrypt(C["signature"], C["timestamp"], "xxxxx", C["encrypt"])


def test_signature_is_case_insensitive_hex_but_nothing_else() -> None:
    crypto = crypto_of(A)
    assert crypto.decrypt(A["signature"].upper(), A["timestamp"], A["nonce"], A["encrypt"]) == "success"
    with pytest.raises(SignatureError):
        crypto.decrypt(A["signature"][:-1] + "0", A["timestamp"], A["nonce"], A["encrypt"])
    with pytest.raises(SignatureError):
        crypto.decrypt("", A["timestamp"], A["nonce"], A["encrypt"])


# ----------------------------------------------------------------------------- refusals
def test_another_apps_owner_key_is_refused() -> None:
    """Decrypts fine, but the trailing key is not our AppKey (e.g. the CorpId configured by mistake)."""
    crypto = DingTalkCrypto(A["token"], A["aes_key"], "dingOurAppKey")
    with pytest.raises(ReceiveIdError):
        crypto.decrypt(A["signature"], A["timestamp"], A["nonce"], A["encrypt"])


@pytest.mark.parametrize(
    "encrypt",
    [
        "not base64 at all!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(b"x" * 33).decode(),  # not whole AES blocks
        base64.b64encode(b"\x00" * 64).decode(),  # decrypts to garbage padding
    ],
)
def test_undecodable_ciphertext_with_a_valid_signature_is_a_decrypt_error(encrypt: str) -> None:
    crypto = crypto_of(A)
    sig = signature(A["token"], A["timestamp"], A["nonce"], encrypt)
    with pytest.raises(DecryptError):
        crypto.decrypt(sig, A["timestamp"], A["nonce"], encrypt)


def _raw_encrypt(aes_key: str, plain: bytes) -> str:
    """AES-CBC of hand-made plaintext (PKCS#7/32), to forge what a real encrypter never produces."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(aes_key + "=")
    pad = 32 - len(plain) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    "plain",
    [
        b"R" * 16 + (1000).to_bytes(4, "big") + b"hi" + b"dingxxxxxx",  # length beyond the plaintext
        b"R" * 16 + (2).to_bytes(4, "big") + b"\xff\xfe" + b"dingxxxxxx",  # message not UTF-8
        b"R" * 10,  # shorter than random16 + length
    ],
    ids=["length", "utf8", "short"],
)
def test_forged_plaintext_layouts_are_decrypt_errors(plain: bytes) -> None:
    forged = _raw_encrypt(A["aes_key"], plain)
    sig = signature(A["token"], A["timestamp"], A["nonce"], forged)
    with pytest.raises(DecryptError):
        crypto_of(A).decrypt(sig, A["timestamp"], A["nonce"], forged)


def test_an_empty_owner_key_is_not_ours() -> None:
    forged = encrypt_msg(A["aes_key"], "", "")
    sig = signature(A["token"], A["timestamp"], A["nonce"], forged)
    with pytest.raises(ReceiveIdError):
        crypto_of(A).decrypt(sig, A["timestamp"], A["nonce"], forged)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"encrypt": 5}', b'{"other": "x"}', b"\xff\xfe"])
def test_bad_envelopes_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayloadError):
        crypto_of(A).decrypt_body(body, A["signature"], A["timestamp"], A["nonce"])


def test_check_url_refuses_other_events() -> None:
    crypto = DingTalkCrypto("tok", A["aes_key"], "dingApp")
    encrypted = encrypt_msg(A["aes_key"], '{"EventType":"user_add_org"}', "dingApp")
    sig = signature("tok", "1", "n", encrypted)
    with pytest.raises(MalformedPayloadError):
        crypto.check_url({"encrypt": encrypted}, sig, "1", "n", now_ms=1)


def test_constructor_refuses_bad_configuration() -> None:
    with pytest.raises(ValueError):
        DingTalkCrypto("", A["aes_key"], "x")
    with pytest.raises(ValueError):
        DingTalkCrypto("t", A["aes_key"][:-1], "x")
    with pytest.raises(ValueError):
        DingTalkCrypto("t", A["aes_key"], "")


@pytest.mark.parametrize(
    ("timestamp", "now", "ok"),
    [
        ("1605695694141", 1605695694.0, True),  # milliseconds (Java sample)
        ("1605695694", 1605695694.0, True),  # seconds (Python sample)
        ("1605695694141", 1605695694.0 + 3599, True),
        ("1605695694141", 1605695694.0 + 3601, False),
        ("1605695694141", 1605695694.0 - 3601, False),
        ("", 0.0, False),
        ("12ab", 0.0, False),
        ("-5", 0.0, False),
    ],
)
def test_replay_window(timestamp: str, now: float, ok: bool) -> None:
    if ok:
        DingTalkCrypto.check_timestamp(timestamp, now)
    else:
        with pytest.raises(ReplayError):
            DingTalkCrypto.check_timestamp(timestamp, now)


def test_timestamps_in_ms_and_s_mean_the_same_moment() -> None:
    assert normalize_timestamp("1605695694141") == pytest.approx(1605695694.141)
    assert normalize_timestamp("1605695694") == 1605695694.0


def test_reply_round_trips_through_the_independent_implementation() -> None:
    crypto = DingTalkCrypto("mryue", "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", "dingAppKey")
    reply = crypto.success_reply(now_ms=1_700_000_000_123)
    assert reply["timeStamp"] == "1700000000123" and len(reply["nonce"]) == 16
    assert decrypt_msg("Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", reply["encrypt"]) == ("success", "dingAppKey")
    assert crypto.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == "success"


# ----------------------------------------------------------------------------- robot sign (D2)
def test_robot_sign_check_value_from_protocols() -> None:
    assert compute_sign("1577262236757", "this is secret") == "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="
    ts = verify_robot_sign("1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", "this is secret", 1577262236757)
    assert ts == 1577262236757


def test_robot_sign_accepts_the_url_encoded_form() -> None:
    encoded = "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"
    assert verify_robot_sign("1577262236757", encoded, "this is secret", 1577262236757 + 1000)


@pytest.mark.parametrize(
    ("timestamp", "sign", "now_ms", "error"),
    [
        ("1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", 1577262236757 + 3_600_001, ReplayError),
        ("1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", 1577262236757 - 3_600_001, ReplayError),
        (None, "x", 0, ReplayError),
        ("abc", "x", 0, ReplayError),
        ("1577262236757", None, 1577262236757, SignatureError),
        ("1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQm=", 1577262236757, SignatureError),
        ("1577262236758", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", 1577262236757, SignatureError),
        ("1577262236757", "中文", 1577262236757, SignatureError),
    ],
)
def test_robot_sign_refusals(timestamp: str | None, sign: str | None, now_ms: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify_robot_sign(timestamp, sign, "this is secret", now_ms)


def test_stale_is_refused_even_with_the_right_secret() -> None:
    old = 1_000_000_000_000
    with pytest.raises(ReplayError):
        verify_robot_sign(str(old), compute_sign(old, "s3cret"), "s3cret", old + 2 * 3_600_000)


# ----------------------------------------------------------------------------- custom robot webhook (D8)
def test_signed_webhook_url_appends_timestamp_and_url_encoded_sign() -> None:
    url = signed_webhook_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECxyz", 1577262236757)
    parts = urlsplit(url)
    assert parts.path == "/robot/send" and "sign=" in parts.query
    raw_query = dict(p.split("=", 1) for p in parts.query.split("&"))
    assert raw_query["access_token"] == "abc" and raw_query["timestamp"] == "1577262236757"
    assert "%" in raw_query["sign"] or raw_query["sign"].isalnum()  # URL-encoded base64
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["sign"] == compute_sign(1577262236757, "SECxyz")
    assert verify_webhook_sign(query["timestamp"], query["sign"], "SECxyz", 1577262236757) == 1577262236757


def test_webhook_url_without_secret_is_unchanged_and_resigning_replaces_old_values() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert signed_webhook_url(url, None, 1) == url
    twice = signed_webhook_url(signed_webhook_url(url, "SECx", 1), "SECx", 2)
    assert parse_qs(urlsplit(twice).query)["timestamp"] == ["2"]

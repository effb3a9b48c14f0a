"""Settings from the environment (prefix ``SALESBOT_``) and ``.env``.

With nothing set, salesbot runs embedded: SQLite in the working directory,
in-process jobs, no Redis, no platform account.
"""

from __future__ import annotations

import sys
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESBOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./salesbot.db"
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    public_base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    log_level: str = "INFO"
    # The background worker (inbox processing and outbox delivery) inside each serve process.
    worker: bool = True
    inbox_lease_s: int = Field(default=60, gt=0)
    # How often an idle worker loop looks for work it was not woken for (retries coming due, leases run
    # out, lost wake-ups). Unset: 0.5 s, or 2 s with Redis wake-ups (each look is a query; idle workers
    # on the OCR machines and the chat worker made ~10 a second between them).
    worker_poll_s: float | None = Field(default=None, gt=0, le=60)
    # How long a failing event may hold back its sender's later events before they go ahead.
    inbox_hold_s: int = Field(default=60, gt=0)
    # How long an OCR job stays leased to its worker (a killed worker's job runs again after this).
    job_lease_s: int = Field(default=120, gt=0)
    # How long a send stays leased to its sender (a killed sender's message is tried again after this).
    outbox_lease_s: int = Field(default=60, gt=0)
    # OCR engine for quote photos: default (bot/ocr/engines.py DEFAULT_ENGINE, chosen by bench/ocr.py),
    # i.e. onnx-v6; onnx-v5; or (Python ≤ 3.12 only) onnx and paddle.
    ocr_engine: Literal["default", "onnx", "paddle", "onnx-v5", "onnx-v6"] = "default"
    # Threads per photo; set 1 when several OCR worker processes share a machine's cores.
    ocr_threads: int | None = Field(default=None, gt=0)
    # CPU priority of `salesbot worker --queues ocr` processes (bot/priority.py): idle = Linux SCHED_IDLE
    # (runs only when no chat process wants the CPU; nice 19 where unavailable), low = nice 10, normal.
    ocr_priority: Literal["idle", "low", "normal"] = "idle"
    # Chat first (bot/chatfirst.py): while chat events are worked on on this machine, its OCR engines run at
    # most cores - 1 at once, the others wait between engine steps (≤ 2 s a wait). Across processes it needs
    # Redis; off = OCR never waits.
    ocr_chat_first: bool = True
    # Which processes share a machine's CPU for chat first; default the host name. Set one value for
    # containers on one host (each container has a host name of its own).
    machine_id: str | None = Field(default=None, min_length=1, max_length=200)
    # Scheduled jobs (bot/scheduler.py). auto: inside serve/demo on SQLite (embedded); with
    # PostgreSQL run `salesbot scheduler` (or set on: every serve process then runs one, safely).
    scheduler: Literal["auto", "on", "off"] = "auto"
    scheduler_grace_s: int = Field(default=6 * 3600, ge=0)  # catch up missed runs up to this late
    job_times: dict[str, str] = Field(default_factory=dict)  # {"followups": "08:45"} (business time)
    # `salesbot org sync`: departments at this level become teams (1 = the company, 2 = 华东销售部 under it)
    org_team_level: int = Field(default=2, ge=1, le=10)
    followup_overdue_days: int = Field(default=30, gt=0)  # older overdue follow-ups stop nagging
    stale_remind_days: int = Field(default=7, gt=0)  # open opportunity untouched → owner
    stale_escalate_days: int = Field(default=14, gt=0)  # … → owner and manager
    dormant_days: int = Field(default=14, gt=0)  # no visit or interaction → 休眠
    digest_stalled_days: int = Field(default=3, gt=0)  # manager digest: stuck in a stage

    # WeCom self-built app
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    # WeCom OAuth for the H5 pages (W9); the demo points it at the fake WeCom.
    wecom_oauth_base: str = "https://open.weixin.qq.com"

    # H5 pages: card links are signed with this secret (HMAC); unset = pages and links off.
    h5_secret: str | None = Field(default=None, min_length=16)
    h5_link_ttl_hours: int = Field(default=168, gt=0)
    photo_dir: str = "./salesbot-photos"  # quote photos kept by us (bot/photos.py); WeCom media lasts 3 days
    photo_retention_days: int = Field(default=1095, gt=0)  # `salesbot photos prune` deletes older ones
    api_docs: bool = False  # serve /docs and /openapi.json (off: they map every endpoint for anyone)

    # DingTalk internal app + robot (docs/platforms/dingtalk.md); enabled by app key + secret.
    dingtalk_app_key: str | None = None
    dingtalk_app_secret: str | None = None
    dingtalk_robot_code: str | None = None  # defaults to the app key (internal-app robots)
    dingtalk_agent_id: int | None = None  # only for work notifications (工作通知)
    dingtalk_corp_id: str | None = None  # CorpId for the H5 pages' 免登 JSAPI (requestAuthCode)
    dingtalk_token: str | None = None  # event subscription (事件订阅) token
    dingtalk_aes_key: str | None = None  # event subscription aes_key (43 characters)
    dingtalk_mode: Literal["http", "stream"] = "http"  # how callbacks arrive: HTTP endpoints or a Stream socket
    dingtalk_api_base: str = "https://api.dingtalk.com"
    dingtalk_oapi_base: str = "https://oapi.dingtalk.com"
    dingtalk_card_template_id: str | None = None  # published card template (bot/dingtalk/templates)
    dingtalk_card_route_key: str = "salesbot"  # callbackRouteKey the card callback URL is registered under
    # HTTP card taps are always proven by the card itself (bot/dingtalk/cardauth.py); "card" = robot-style
    # timestamp/sign headers checked when present, "sign" = required (docs/platforms/dingtalk.md).
    dingtalk_card_auth: Literal["sign", "card"] = "card"

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis:// or rediss://")
        return v

    @field_validator("job_times")
    @classmethod
    def _job_times(cls, v: dict[str, str]) -> dict[str, str]:
        from jobs.schedule import parse_hhmm

        for name, at in v.items():
            try:
                parse_hhmm(at)
            except ValueError:
                raise ValueError(f"{name}: time must be HH:MM (business time), got {at!r}") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("public_base_url", "wecom_api_base", "wecom_oauth_base")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key(cls, v: str | None) -> str | None:
        if v is not None and (len(v) != 43 or not v.isalnum()):
            raise ValueError("EncodingAESKey must be 43 letters and digits")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def wecom_enabled(self) -> bool:
        return bool(self.wecom_corp_id and self.wecom_secret and self.wecom_token and self.wecom_aes_key)

    @field_validator("dingtalk_api_base", "dingtalk_oapi_base")
    @classmethod
    def _dingtalk_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("dingtalk_aes_key")
    @classmethod
    def _dingtalk_aes_key(cls, v: str | None) -> str | None:
        if v is not None and (len(v) != 43 or not v.isalnum()):
            raise ValueError("aes_key must be 43 letters and digits")
        return v

    @property
    def dingtalk_enabled(self) -> bool:
        """Outbound (robot, cards) and robot callbacks need only the app key and secret."""
        return bool(self.dingtalk_app_key and self.dingtalk_app_secret)

    @property
    def dingtalk_events_enabled(self) -> bool:
        """Event subscription pushes additionally need the token and aes_key."""
        return bool(self.dingtalk_enabled and self.dingtalk_token and self.dingtalk_aes_key)


class SettingsError(SystemExit):
    """Start-up stops with one line naming the bad key."""


def describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        key = "SALESBOT_" + str(e["loc"][0]).upper() if e["loc"] else "SALESBOT_?"
        msg = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"{key}: {msg}")
    return "配置错误 / invalid setting: " + "; ".join(parts)


def load_settings() -> Settings:
    from domain.clock import set_business_timezone

    try:
        settings = Settings()
    except ValidationError as exc:
        print(describe(exc), file=sys.stderr)
        raise SettingsError(2) from None
    set_business_timezone(settings.timezone)  # every command of this process uses the business zone set
    return settings

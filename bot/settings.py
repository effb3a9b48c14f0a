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
    # OCR engine for quote photos: onnx (default; faster to load, a third of the memory) or paddle.
    ocr_engine: Literal["onnx", "paddle"] = "onnx"

    # WeCom self-built app
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

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

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("public_base_url", "wecom_api_base")
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
    try:
        return Settings()
    except ValidationError as exc:
        print(describe(exc), file=sys.stderr)
        raise SettingsError(2) from None

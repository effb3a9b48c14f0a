"""Access-token storage shared by the platform clients (WeCom now, DingTalk later).

Why this exists (PITFALLS.md "Tokens and limits"): several workers refreshing at once
invalidate each other's tokens, and keeping the expiry in process memory while the token
lives in Redis makes workers disagree about when to refresh.  So:

* the token and its expiry are stored TOGETHER (one Redis hash, written atomically);
* a refresh happens under a lock (``SET NX PX`` with an owner token, released only by its
  owner), and callers re-read the store after getting the lock -- whoever waited finds the
  fresh token and does not call gettoken again;
* ``expires_at`` is the moment callers must STOP using the token: the client has already
  subtracted its safety margin when it stored it.

Keys are platform-neutral: ``token_key("wecom", corp_id, agent_id)`` or
``token_key("dingtalk", app_key)``.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import redis


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: float  # unix seconds; stop using the token from this moment on


def token_key(platform: str, *app_ids: str | int) -> str:
    """``token_key("wecom", "ww123", 1000002)`` -> ``"wecom:ww123:1000002"``."""
    if not platform or not app_ids:
        raise ValueError("platform and at least one app id are required")
    return ":".join([platform, *map(str, app_ids)])


class TokenLockTimeout(TimeoutError):
    """Could not get the refresh lock in time (another process holds it and is stuck)."""


class TokenStore(Protocol):
    """Where access tokens live; ``lock(key)`` serialises refreshes of one key."""

    def get(self, key: str) -> CachedToken | None: ...

    def set(self, key: str, token: str, expires_at: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]: ...


class MemoryTokenStore:
    """In-process store for a single worker, tests and the simulator."""

    def __init__(self) -> None:
        self._data: dict[str, CachedToken] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str) -> CachedToken | None:
        with self._guard:
            return self._data.get(key)

    def set(self, key: str, token: str, expires_at: float) -> None:
        with self._guard:
            self._data[key] = CachedToken(token, expires_at)

    def delete(self, key: str) -> None:
        with self._guard:
            self._data.pop(key, None)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            yield


# Release only if we still own the lock (it may have expired and been taken by someone else).
_RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisTokenStore:
    """Token + expiry in one Redis hash; refresh lock via ``SET NX PX`` with owner check.

    The hash also gets a Redis TTL until ``expires_at`` so a stale token disappears by itself;
    pass the client's ``clock`` when it is not ``time.time``.
    ``lock_ttl_ms`` must exceed the time a refresh can take (HTTP timeout); a crashed holder
    frees the lock after it.
    """

    def __init__(
        self,
        redis_url: str,
        prefix: str = "salesbot:token:",
        *,
        lock_ttl_ms: int = 15_000,
        lock_wait_s: float = 20.0,
        poll_s: float = 0.02,
        client: redis.Redis | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client if client is not None else redis.Redis.from_url(redis_url)
        self._owns_client = client is None
        self.prefix = prefix
        self.lock_ttl_ms = lock_ttl_ms
        self.lock_wait_s = lock_wait_s
        self.poll_s = poll_s
        self.clock = clock
        self._release = self._redis.register_script(_RELEASE_LUA)

    def close(self) -> None:
        if self._owns_client:
            self._redis.close()

    def _data_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.prefix}{key}:lock"

    def get(self, key: str) -> CachedToken | None:
        raw = self._redis.hgetall(self._data_key(key))
        if not raw:
            return None
        # Works with and without decode_responses=True on a caller-supplied client.
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
        try:
            token = fields["token"]
            token = token.decode("utf-8") if isinstance(token, bytes) else str(token)
            expires_at = float(fields["expires_at"])
        except (KeyError, ValueError):
            return None
        return CachedToken(token, expires_at)

    def set(self, key: str, token: str, expires_at: float) -> None:
        data_key = self._data_key(key)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(data_key)
        pipe.hset(data_key, mapping={"token": token, "expires_at": repr(float(expires_at))})
        # Relative TTL computed with the same clock as expires_at (tests inject one).
        pipe.pexpire(data_key, max(int((expires_at - self.clock()) * 1000) + 1000, 1000))
        pipe.execute()

    def delete(self, key: str) -> None:
        self._redis.delete(self._data_key(key))

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        lock_key = self._lock_key(key)
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + self.lock_wait_s
        while not self._redis.set(lock_key, owner, nx=True, px=self.lock_ttl_ms):
            if time.monotonic() >= deadline:
                raise TokenLockTimeout(f"could not lock {lock_key} within {self.lock_wait_s}s")
            time.sleep(self.poll_s)
        try:
            yield
        finally:
            self._release(keys=[lock_key], args=[owner])

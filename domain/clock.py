"""One injectable clock for every rule that reads "now".

Tests and the demo move time by handing a different clock to the unit of
work; nothing in the domain calls ``datetime.now()`` directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

DEFAULT_BUSINESS_TZ = "Asia/Shanghai"


class BusinessZone(ZoneInfo):
    """The business time zone, set once per process from ``SALESBOT_TIMEZONE``.

    Why a proxy and not a plain ``ZoneInfo``: dozens of modules bind
    ``from domain.clock import BUSINESS_TZ`` (and default arguments) at import time,
    before settings are read. They all hold this one object, and it answers with
    whatever zone ``set_business_timezone`` installed, so the setting reaches every
    rule without touching each call site. Every answer is the wrapped ``ZoneInfo``'s
    (offsets, DST, ``fold``), so it behaves exactly like it; it subclasses ``ZoneInfo``
    so every signature typed ``ZoneInfo`` takes it.
    """

    def __new__(cls, name: str = DEFAULT_BUSINESS_TZ) -> BusinessZone:
        self = super().no_cache(name)
        self._zone = ZoneInfo(name)
        return self

    _zone: ZoneInfo

    @property
    def zoneinfo(self) -> ZoneInfo:
        return self._zone

    @property
    def key(self) -> str:
        return str(self._zone.key)

    @property
    def zone(self) -> str:
        """The zone's name, where libraries look for it (pytz's attribute; APScheduler reads it)."""
        return self.key

    def set(self, name: str) -> None:
        self._zone = ZoneInfo(name)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self._zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self._zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self._zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        local = self._zone.fromutc(dt.replace(tzinfo=self._zone))
        return local.replace(tzinfo=self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_business_zone, ())  # unpickles to this process's one instance

    def __repr__(self) -> str:
        return f"BusinessZone({self.key!r})"

    def __str__(self) -> str:
        return self.key


BUSINESS_TZ = BusinessZone()


def _business_zone() -> BusinessZone:
    return BUSINESS_TZ


def set_business_timezone(name: str) -> None:
    """Install the business time zone for this process (``Runtime.build`` does, from settings)."""
    BUSINESS_TZ.set(name)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, demo time travel)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class OffsetClock:
    """Real time plus an offset that only grows: the demo's clock.

    Why not ``FixedClock``: in the simulator time must keep flowing (leases expire,
    messages get distinct timestamps), yet a click on 「明天 09:00」 must move every
    reader of "now" at once -- the app, the worker, the fake WeCom and its callbacks.
    """

    def __init__(self, base: Clock | None = None, offset: timedelta = timedelta(0)) -> None:
        self._base: Clock = base or SystemClock()
        self._offset = offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the demo clock only moves forward")
        self._offset += delta

    def jump_to(self, at: datetime) -> timedelta:
        """Move forward to ``at`` (aware); returns how far the clock moved."""
        if at.tzinfo is None:
            raise ValueError("OffsetClock needs a timezone-aware datetime")
        delta = at.astimezone(UTC) - self.now()
        self.advance(delta)
        return delta


def to_local(at: datetime, tz: ZoneInfo = BUSINESS_TZ) -> datetime:
    """Business-time view of a stored UTC instant."""
    if at.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; store UTC-aware values")
    return at.astimezone(tz)


def local_today(clock: Clock, tz: ZoneInfo = BUSINESS_TZ) -> date:
    return clock.now().astimezone(tz).date()


def format_local(at: datetime | None, tz: ZoneInfo = BUSINESS_TZ) -> str:
    """ISO-8601 in business time, the way exports and cards show it."""
    return "" if at is None else to_local(at, tz).isoformat(timespec="seconds")

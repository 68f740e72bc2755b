"""Settings read from the environment and validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec
import platformdirs

from app.logs import LogFormat

RollupMode = Literal["auto", "true", "false"]
"""USAGE_DASHBOARD_ROLLUP_ENABLED: auto reads the rollup once a backfill has completed."""


METRICS_MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's multiprocess directory: read when prometheus_client is first imported, so
`serve` sets it before any module that imports it (never app.metrics in the CLI's process)."""


class ConfigError(ValueError):
    """A setting has a value the service cannot run with; the message is one line."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the service reads from its environment."""

    database_url: str | None = None
    database_read_url: str | None = None
    data_dir: Path
    pool_min_size: int = 1
    pool_max_size: int = 10
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    rollup_mode: RollupMode = "auto"
    rollup_scheduler: bool = True
    rollup_interval_seconds: int = 300
    log_format: LogFormat = "text"
    statement_timeout_ms: int = 15_000

    @property
    def embedded(self) -> bool:
        """True when no DATABASE_URL is set and the embedded PostgreSQL is used."""
        return self.database_url is None

    @property
    def rollup_maintained(self) -> bool:
        """True unless the rollup is switched off: serve then ticks it and backfills its demo."""
        return self.rollup_mode != "false"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _rollup_mode(env: Mapping[str, str]) -> RollupMode:
    raw = env.get("USAGE_DASHBOARD_ROLLUP_ENABLED", "").strip().lower()
    if raw in {"", "auto"}:
        return "auto"
    if raw in {"1", "true", "yes", "on"}:
        return "true"
    if raw in {"0", "false", "no", "off"}:
        return "false"
    raise ConfigError(f"USAGE_DASHBOARD_ROLLUP_ENABLED must be auto, true or false, got {raw!r}")


def _log_format(env: Mapping[str, str]) -> LogFormat:
    raw = env.get("LOG_FORMAT", "").strip().lower()
    if raw in {"", "text"}:
        return "text"
    if raw == "json":
        return "json"
    raise ConfigError(f"LOG_FORMAT must be text or json, got {raw!r}")


def _database_url(env: Mapping[str, str], name: str = "DATABASE_URL") -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    is_url = "://" in raw
    if (is_url and not raw.startswith(("postgresql://", "postgres://"))) or (not is_url and "=" not in raw):
        raise ConfigError(f"{name} must be a postgresql:// URL or a libpq key=value string")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raises ConfigError with a one-line message."""
    env = os.environ if env is None else env
    data_dir = env.get("USAGE_DASHBOARD_DATA_DIR", "").strip()
    pool_min = _int(env, "DATABASE_POOL_MIN_SIZE", 1, 0, 1000)
    pool_max = _int(env, "DATABASE_POOL_MAX_SIZE", 10, 1, 1000)
    if pool_min > pool_max:
        raise ConfigError(f"DATABASE_POOL_MIN_SIZE ({pool_min}) exceeds DATABASE_POOL_MAX_SIZE ({pool_max})")
    database_url = _database_url(env)
    read_url = _database_url(env, "DATABASE_READ_URL")
    if read_url is not None and database_url is None:
        raise ConfigError("DATABASE_READ_URL needs DATABASE_URL: the embedded server has no replica")
    return Settings(
        database_url=database_url,
        database_read_url=read_url,
        data_dir=Path(data_dir) if data_dir else Path(platformdirs.user_data_dir("usage-dashboard")),
        pool_min_size=pool_min,
        pool_max_size=pool_max,
        host=env.get("HOST", "").strip() or "127.0.0.1",
        port=_int(env, "PORT", 8000, 1, 65535),
        workers=_int(env, "WEB_CONCURRENCY", 1, 1, 64),
        rollup_mode=_rollup_mode(env),
        rollup_scheduler=_bool(env, "USAGE_DASHBOARD_ROLLUP_SCHEDULER", True),
        rollup_interval_seconds=_int(env, "ROLLUP_INTERVAL_SECONDS", 300, 1, 86_400),
        log_format=_log_format(env),
        statement_timeout_ms=_int(env, "DATABASE_STATEMENT_TIMEOUT_MS", 15_000, 0, 3_600_000),
    )

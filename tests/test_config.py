"""Settings: defaults, the embedded fallback, and one-line errors that name the bad variable."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from app.config import ConfigError, load_settings


def test_defaults_when_the_environment_is_empty() -> None:
    settings = load_settings({})

    assert settings.database_url is None
    assert settings.data_dir == Path(platformdirs.user_data_dir("usage-dashboard"))
    assert (settings.pool_min_size, settings.pool_max_size) == (1, 10)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.rollup_mode == "auto"
    assert settings.rollup_maintained is True


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_database_url_unset_or_blank_means_embedded(value: str | None) -> None:
    env = {} if value is None else {"DATABASE_URL": value}

    settings = load_settings(env)

    assert settings.database_url is None
    assert settings.embedded is True


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db.example.com:5432/platform",
        "postgres://u@localhost/platform",
        "host=/tmp dbname=platform user=u",
    ],
)
def test_database_url_set_is_kept_and_not_embedded(url: str) -> None:
    settings = load_settings({"DATABASE_URL": f"  {url} "})

    assert settings.database_url == url
    assert settings.embedded is False


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://db/x",
            "USAGE_DASHBOARD_DATA_DIR": "/srv/usage",
            "DATABASE_POOL_MIN_SIZE": "0",
            "DATABASE_POOL_MAX_SIZE": "3",
            "HOST": "0.0.0.0",
            "PORT": "9001",
            "WEB_CONCURRENCY": "4",
            "USAGE_DASHBOARD_ROLLUP_ENABLED": "true",
        }
    )

    assert settings.data_dir == Path("/srv/usage")
    assert (settings.pool_min_size, settings.pool_max_size) == (0, 3)
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9001, 4)
    assert settings.rollup_mode == "true"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "auto"),
        ("Auto", "auto"),
        ("1", "true"),
        ("TRUE", "true"),
        ("yes", "true"),
        ("on", "true"),
        ("0", "false"),
        ("false", "false"),
        ("Off", "false"),
    ],
)
def test_rollup_mode_accepts_usual_spellings(raw: str, expected: str) -> None:
    settings = load_settings({"USAGE_DASHBOARD_ROLLUP_ENABLED": raw})

    assert settings.rollup_mode == expected
    assert settings.rollup_maintained is (expected != "false")


def test_pool_min_equal_to_max_is_accepted() -> None:
    settings = load_settings({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "5"})

    assert (settings.pool_min_size, settings.pool_max_size) == (5, 5)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "0"}, "PORT"),
        ({"PORT": "65536"}, "PORT"),
        ({"PORT": "-1"}, "PORT"),
        ({"PORT": "80.5"}, "PORT"),
        ({"DATABASE_POOL_MIN_SIZE": "6", "DATABASE_POOL_MAX_SIZE": "5"}, "DATABASE_POOL_MIN_SIZE"),
        ({"DATABASE_POOL_MIN_SIZE": "11"}, "DATABASE_POOL_MIN_SIZE"),
        ({"DATABASE_POOL_MIN_SIZE": "-1"}, "DATABASE_POOL_MIN_SIZE"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE"),
        ({"DATABASE_POOL_MAX_SIZE": "ten"}, "DATABASE_POOL_MAX_SIZE"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({"USAGE_DASHBOARD_ROLLUP_ENABLED": "maybe"}, "USAGE_DASHBOARD_ROLLUP_ENABLED"),
        ({"USAGE_DASHBOARD_ROLLUP_ENABLED": "2"}, "USAGE_DASHBOARD_ROLLUP_ENABLED"),
        ({"DATABASE_URL": "localhost:5432"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
    ],
    ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "",
)
def test_bad_value_raises_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    assert message.strip() == message

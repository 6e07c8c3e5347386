"""Settings come from the environment when the app is built, typed, with safe defaults."""

from __future__ import annotations

import pytest

from webapp import config


def test_environment_is_read_at_load_time(monkeypatch):
    monkeypatch.setenv("GIGSTACK_SANDBOX_URL", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("SANDBOX_SCALE", "3")
    monkeypatch.setenv("SANDBOX_TEAMS", "5000")
    monkeypatch.setenv("GIGSTACK_TIMEOUT_READ", "2.5")
    settings = config.load({"APP_ENV": "development"})
    assert settings["GIGSTACK_SANDBOX_URL"] == "http://127.0.0.1:9/v2"
    assert settings["SANDBOX_SCALE"] == 3
    assert settings["SANDBOX_TEAMS"] == 5000
    assert settings["GIGSTACK_TIMEOUT_READ"] == 2.5


def test_defaults_when_unset(monkeypatch):
    for name in config.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    settings = config.load({"APP_ENV": "production"})
    assert settings["GIGSTACK_API_URL"] == "https://api.gigstack.io/v2"
    assert settings["SECRET_KEY"] is None and settings["GIGSTACK_API_KEY"] is None
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_testing_ignores_the_developers_environment(monkeypatch):
    monkeypatch.setenv("GIGSTACK_API_KEY", "a.b.c")
    settings = config.load({"APP_ENV": "testing"})
    assert settings["GIGSTACK_API_KEY"] is None
    assert settings["TESTING"] is True


def test_overrides_win(monkeypatch):
    monkeypatch.setenv("SANDBOX_KEY_NAME", "partner_live")
    assert config.load({"SANDBOX_KEY_NAME": "outsider_test"})["SANDBOX_KEY_NAME"] == "outsider_test"


# -- shared state, production refusals -------------------------------------------------------


def _clean(monkeypatch):
    for name in config.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def test_without_redis_the_throttle_and_caches_stay_in_the_process(monkeypatch):
    _clean(monkeypatch)
    settings = config.load({"APP_ENV": "development"})
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["CACHE_TYPE"] == "SimpleCache"
    assert "RATELIMIT_STORAGE_OPTIONS" not in settings


def test_one_redis_url_moves_the_throttle_and_caches_to_redis(monkeypatch):
    _clean(monkeypatch)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6380/1")
    settings = config.load({"APP_ENV": "development"})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6380/1"
    assert settings["CACHE_TYPE"] == "RedisCache"
    # a Redis that hangs is given up on quickly, not waited for
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_an_explicit_limiter_storage_wins_over_redis_url(monkeypatch):
    _clean(monkeypatch)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert config.load({"APP_ENV": "development"})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_logs_are_json_in_production_and_text_in_development(monkeypatch):
    _clean(monkeypatch)
    assert config.load({"APP_ENV": "production"})["LOG_FORMAT"] == "json"
    assert config.load({"APP_ENV": "development"})["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert config.load({"APP_ENV": "development"})["LOG_FORMAT"] == "json"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"APP_ENV": "production", "DATABASE_URL": "postgres://u@h/db"}, "SECRET_KEY"),
        ({"APP_ENV": "development", "GIGSTACK_API_KEY": "k.e.y"}, "SECRET_KEY"),
        ({"APP_ENV": "production", "SECRET_KEY": "s"}, "DATABASE_URL"),
        (
            {"APP_ENV": "production", "SECRET_KEY": "s", "DATABASE_URL": "sqlite:////srv/x.db"},
            "DATABASE_URL",
        ),
        ({"APP_ENV": "development", "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_impossible_settings_are_refused_naming_the_setting(monkeypatch, settings, named):
    _clean(monkeypatch)
    with pytest.raises(config.ConfigError) as refused:
        config.check(config.load(settings))
    assert named in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"APP_ENV": "production", "SECRET_KEY": "s", "DATABASE_URL": "postgres://u@h/db"},
        {"APP_ENV": "production", "SECRET_KEY": "s", "ALLOW_SQLITE": True},
        {"APP_ENV": "development"},
    ],
)
def test_workable_settings_pass(monkeypatch, settings):
    _clean(monkeypatch)
    config.check(config.load(settings))


def test_an_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(config.ConfigError, match="APP_ENV"):
        config.load()


def test_allow_sqlite_is_a_flag(monkeypatch):
    _clean(monkeypatch)
    monkeypatch.setenv("ALLOW_SQLITE", "no")
    assert config.load({"APP_ENV": "production"})["ALLOW_SQLITE"] is False
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    assert config.load({"APP_ENV": "production"})["ALLOW_SQLITE"] is True

"""Settings come from the environment when the app is built, typed, with safe defaults."""

from __future__ import annotations

from webapp import config


def test_environment_is_read_at_load_time(monkeypatch):
    monkeypatch.setenv("GIGSTACK_SANDBOX_URL", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("SANDBOX_SCALE", "3")
    monkeypatch.setenv("GIGSTACK_TIMEOUT_READ", "2.5")
    settings = config.load({"APP_ENV": "development"})
    assert settings["GIGSTACK_SANDBOX_URL"] == "http://127.0.0.1:9/v2"
    assert settings["SANDBOX_SCALE"] == 3
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
    assert config.load({"SANDBOX_KEY_NAME": "outsider_test"})["SANDBOX_KEY_NAME"] == \
        "outsider_test"

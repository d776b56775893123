"""Settings from the environment: LEDGER_TRUSTED_PROXIES names the proxies whose forwarded
headers are believed (none by default)."""

from __future__ import annotations

import pytest

from ledger.settings import Settings, SettingsError


def test_no_proxy_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_TRUSTED_PROXIES", raising=False)
    assert Settings.from_env().trusted_proxies == ()


def test_trusted_proxies_are_addresses_or_networks_separated_by_commas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGER_TRUSTED_PROXIES", " 10.0.0.1, 192.168.7.0/24 ,::1,")
    assert Settings.from_env().trusted_proxies == ("10.0.0.1", "192.168.7.0/24", "::1")


def test_a_trusted_proxy_that_is_no_address_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_TRUSTED_PROXIES", "10.0.0.1,proxy.example")
    with pytest.raises(SettingsError, match=r"LEDGER_TRUSTED_PROXIES.*'proxy\.example'"):
        Settings.from_env()


def test_the_lock_timeout_is_whole_seconds_30_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_LOCK_TIMEOUT", raising=False)
    assert Settings.from_env().lock_timeout == 30
    monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", "5")
    settings = Settings.from_env()
    assert settings.lock_timeout == 5
    assert settings.eventsourcing_env()["SQLITE_LOCK_TIMEOUT"] == "5"
    for wrong in ("0", "-1", "2.5", "soon"):
        monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", wrong)
        with pytest.raises(SettingsError, match=f"LEDGER_LOCK_TIMEOUT.*'{wrong}'"):
            Settings.from_env()

"""Which proxy a destination goes through, decided once per host from the environment."""

from __future__ import annotations

from services.notifier.adapters.channels import EnvironmentProxies

ENVIRONMENT = {"https": "http://proxy:3128", "no": "localhost,.internal"}


def test_a_host_named_in_no_proxy_is_dialled_directly() -> None:
    proxies = EnvironmentProxies(ENVIRONMENT)
    assert proxies.for_url("https://hooks.slack.com/services/T/B/x") == "http://proxy:3128"
    assert proxies.for_url("https://api.internal/hook") is None
    assert proxies.for_url("https://localhost:8443/hook") is None


def test_a_scheme_without_a_proxy_goes_direct_and_nonsense_is_left_to_the_client() -> None:
    proxies = EnvironmentProxies(ENVIRONMENT)
    assert proxies.for_url("http://hooks.example/x") is None
    assert proxies.for_url("not a url") is None


def test_the_answer_for_a_host_is_remembered() -> None:
    proxies = EnvironmentProxies(dict(ENVIRONMENT))
    proxies.for_url("https://hooks.slack.com/a")
    proxies.proxies["https"] = "http://elsewhere:1"
    assert proxies.for_url("https://hooks.slack.com/b") == "http://proxy:3128"

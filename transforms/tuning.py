"""What a user tunes in the SQL layer without editing SQL: who "us" is, and the detections' allow-lists,
thresholds and switches.

Each setting has one name from end to end: the `[transforms]` key in `.dlt/config.toml` (or the
environment variable `TRANSFORMS__<NAME>`), the `Tuning` field, and the dbt var the models read
(`sql/dbt_project.yml` holds the defaults: empty lists, so an untuned project runs every rule with
its own thresholds). `boxevents transform --company-domain` overrides `company_domains`.

    [transforms]
    company_domains = ["acme.com"]            # empty or absent: inferred from the events
    partner_domains = ["lawfirm.example"]      # external but trusted
    service_accounts = ["AutomationUser_123_abc@boxdevedition.com"]
    trusted_ip_ranges = ["198.51.100.0/24"]    # office and VPN egress
    disabled_rules = ["event_triggered_externally"]
    [transforms.rule_thresholds.mass_download]
    downloads = 200
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import dlt

from pipelines.box_events.exceptions import ConfigurationError

SECTION = "transforms"


@dataclass(frozen=True)
class Tuning:
    """The SQL layer's settings, cleaned and validated (every list sorted, so a fingerprint of the
    variables only changes when a setting does)."""

    company_domains: tuple[str, ...] = ()
    """The company's own email domains; empty: inferred from the events (transforms/company.py)."""
    partner_domains: tuple[str, ...] = ()
    service_accounts: tuple[str, ...] = ()
    trusted_ip_ranges: tuple[str, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    rule_thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, **given: Any) -> Tuning:
        """Settings given here (None: not given) win over dlt config `[transforms]`."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = given.get(f.name)
            if value is None:
                value = dlt.config.get(f"{SECTION}.{f.name}")
            if value is not None:
                values[f.name] = value
        return cls.of(**values)

    @classmethod
    def of(cls, **values: Any) -> Tuning:
        """A Tuning from plain values (lists or a single string), checked: one line names what is
        wrong and how to write it instead."""
        cleaned: dict[str, Any] = {}
        for name in ("company_domains", "partner_domains"):
            cleaned[name] = _domains(name, values.get(name))
        cleaned["service_accounts"] = tuple(
            sorted(
                {
                    s.strip().lower()
                    for s in _texts("service_accounts", values.get("service_accounts"))
                    if s.strip()
                }
            )
        )
        cleaned["trusted_ip_ranges"] = _ranges(values.get("trusted_ip_ranges"))
        cleaned["disabled_rules"] = tuple(
            sorted({r.strip() for r in _texts("disabled_rules", values.get("disabled_rules")) if r.strip()})
        )
        cleaned["rule_thresholds"] = _thresholds(values.get("rule_thresholds"))
        return cls(**cleaned)

    def with_company_domains(self, domains: Sequence[str]) -> Tuning:
        return replace(self, company_domains=_domains("company_domains", list(domains)))

    def variables(self) -> dict[str, Any]:
        """The dbt vars of these settings."""
        return {
            "company_domains": list(self.company_domains),
            "partner_domains": list(self.partner_domains),
            "service_accounts": list(self.service_accounts),
            "trusted_ip_ranges": list(self.trusted_ip_ranges),
            "disabled_rules": list(self.disabled_rules),
            "rule_thresholds": {rule: dict(values) for rule, values in sorted(self.rule_thresholds.items())},
        }


def _texts(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        # an environment variable holds a list as JSON or TOML: TRANSFORMS__PARTNER_DOMAINS='["a.com"]'
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigurationError(
                f'transforms.{name}: {value!r} is not a list such as ["a.com", "b.com"]'
            ) from None
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigurationError(
        f'transforms.{name} must be a list of text, e.g. {name} = ["..."], not {value!r}'
    )


def _domains(name: str, value: Any) -> tuple[str, ...]:
    domains = {d.strip().lower().lstrip("@") for d in _texts(name, value)} - {""}
    for domain in domains:
        if "." not in domain or " " in domain or "@" in domain or "'" in domain:
            raise ConfigurationError(f"transforms.{name}: {domain!r} is not an email domain such as acme.com")
    return tuple(sorted(domains))


def _ranges(value: Any) -> tuple[str, ...]:
    ranges = set()
    for text in _texts("trusted_ip_ranges", value):
        if not text.strip():
            continue
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise ConfigurationError(
                f"transforms.trusted_ip_ranges: {text.strip()!r} is not an address range "
                "such as 203.0.113.0/24 or 2001:db8::/32"
            ) from None
        if network.version == 6 and network.prefixlen % 16:
            raise ConfigurationError(
                f"transforms.trusted_ip_ranges: {text.strip()!r} - an IPv6 range needs a prefix length "
                "that is a multiple of 16 (e.g. /32, /48)"
            )
        ranges.add(str(network))
    return tuple(sorted(ranges))


def _thresholds(value: Any) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if isinstance(value, str):  # from the environment, as JSON
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigurationError(
                f"transforms.rule_thresholds: {value!r} is not JSON such as "
                '{"mass_download": {"downloads": 200}}'
            ) from None
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            "transforms.rule_thresholds must be a table of rules, "
            "e.g. [transforms.rule_thresholds.mass_download] downloads = 200"
        )
    cleaned: dict[str, dict[str, Any]] = {}
    for rule, values in value.items():
        if not isinstance(values, Mapping):
            raise ConfigurationError(
                f"transforms.rule_thresholds.{rule} must be a table of thresholds, e.g. downloads = 200"
            )
        for key, number in values.items():
            if isinstance(number, bool) or not isinstance(number, int | float | list):
                raise ConfigurationError(
                    f"transforms.rule_thresholds.{rule}.{key} must be a number (or a list), not {number!r}"
                )
        cleaned[str(rule)] = dict(sorted(values.items()))
    return cleaned

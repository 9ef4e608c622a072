"""The Sigma rules in sigma/rules/: the detection library's single-event rules for any SIEM.

Each rule must (a) parse with pySigma and pass its validators, (b) exist for every single-event dbt
rule, with the dbt rule's title, level and ATT&CK tags, and (c) agree with the dbt rule on the same
Box events: a small matcher evaluates the condition tree pySigma parsed from the rule over the events
of the dbt rule's own cases (tests/transforms/detection_cases.py) - every event of a positive case
matches, no probe event of a near-miss does.

The matcher knows exactly the modifiers the rules use (`SUPPORTED_MODIFIERS`); a rule that uses
another one fails here until the matcher learns it.
"""

from __future__ import annotations

import ast
import csv
import ipaddress
import json
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.backends.test import TextQueryTestBackend
from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.exceptions import SigmaRuleLocation
from sigma.modifiers import SigmaCIDRModifier, SigmaContainsModifier, SigmaEndswithModifier
from sigma.rule import SigmaRule
from sigma.types import SigmaCasedString, SigmaCIDRExpression, SigmaNull, SigmaString, SpecialChars
from sigma.validation import SigmaValidator
from sigma.validators.core import validators

from tests.transforms.detection_cases import Case, load_cases

ROOT = Path(__file__).resolve().parents[1]
SIGMA_DIR = ROOT / "sigma"
RULE_FILES = sorted((SIGMA_DIR / "rules").glob("*.yml"))
DBT_RULES = ROOT / "sql" / "models" / "detections" / "rules"
CATALOG = ROOT / "sql" / "seeds" / "box_event_types.csv"
SAMPLES = ROOT / "tests" / "fixtures" / "box_samples"

SINGLE_EVENT = {
    "new_admin",
    "external_collab_invite",
    "item_shared_externally",
    "collaborator_promoted_to_owner",
    "open_shared_link",
    "event_triggered_externally",
    "admin_login",
    "new_login_device",
    "untrusted_device",
    "box_support_access_granted",
    "app_public_key_added",
    "workflow_policy_violation",
    "governance_policy_removed",
    "malicious_file",
    "shield_anomalous_download",
    "shield_suspicious_login",
    "shield_malicious_content",
    "shield_alert_other",
    "executable_uploaded",
    "forbidden_file_downloaded",
    "sensitive_file_name",
}
"""dbt rules that decide on one event at a time: one Sigma rule each, sigma/rules/box_<rule id>.yml.
The catalog rule (catalog_severity) is one Sigma rule per event type, box_catalog_<type>.yml."""

NOT_EXPRESSIBLE = {
    "mass_download": "count per user in a rolling window",
    "failed_login_burst": "count per user in a rolling window",
    "password_spray": "distinct users per address in a rolling window",
    "many_items_deleted": "count per user in a rolling window",
    "many_permission_updates": "count per user in a rolling window",
    "open_link_downloads": "anonymous downloads per item in a rolling window",
    "login_many_ips": "distinct networks per user and day",
    "login_new_network": "the user's earlier networks",
    "inactive_user_login": "the user's previous login",
    "new_external_user": "every address seen before",
    "token_for_new_app": "every application seen before",
    "abnormal_user_activity": "the user's average of earlier days",
}
"""dbt rules that need history or counting; sigma/README.md says why each is not a Sigma rule."""

EXCLUDED_VALIDATORS = {
    "attacktag": "downloads MITRE ATT&CK's STIX data from GitHub at first use (CI is offline); "
    "sigma/README.md shows how to run it by hand on a local copy",
    "d3_fendtag": "downloads MITRE D3FEND's ontology at first use, even for rules without d3fend tags "
    "(none here: test_tags_follow_the_dbt_rule allows only attack.* tags)",
}
SUPPORTED_MODIFIERS = {SigmaContainsModifier, SigmaEndswithModifier, SigmaCIDRModifier}
"""Besides plain equality (case-insensitive, as Sigma defines it), lists (OR) and `null`."""

ATTACK_TACTICS = {
    "reconnaissance", "resource-development", "initial-access", "execution", "persistence",
    "privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
    "collection", "command-and-control", "exfiltration", "impact",
}  # fmt: skip
"""ATT&CK Enterprise tactics (x_mitre_shortname), the names Sigma's attack.<tactic> tags use."""

LEVELS = {"info": "informational", "low": "low", "medium": "medium", "high": "high", "critical": "critical"}


def sigma_uuid(rule_id: str) -> uuid.UUID:
    """The stable id of the Sigma rule for dbt rule (or catalog rule id) `rule_id`."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"box-audit-events/detections/{rule_id}")


# --- the dbt side ---------------------------------------------------------------------------------


@cache
def dbt_rule(rule_id: str) -> dict[str, Any]:
    """The keyword arguments of the `detection_rule(...)` call that opens det_<rule_id>.sql (Jinja
    literals are Python literals, but for `true`/`false`)."""
    text = (DBT_RULES / f"det_{rule_id}.sql").read_text()
    start = text.index("detection_rule(") + len("detection_rule(")
    args = text[start : text.index(") -%}", start)]
    args = re.sub(r"=true\b", "=True", re.sub(r"=false\b", "=False", args))
    call = ast.parse(f"f({args})", mode="eval").body
    assert isinstance(call, ast.Call)
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}


def dbt_rule_ids() -> set[str]:
    return {p.stem.removeprefix("det_") for p in DBT_RULES.glob("det_*.sql")}


def uncovered_catalog_types() -> dict[str, str]:
    """Event type -> severity of every high/critical catalog type no rule `covers`: what
    det_catalog_severity reports."""
    covered = {t for rule_id in dbt_rule_ids() for t in dbt_rule(rule_id).get("covers", [])}
    with CATALOG.open() as f:
        return {
            row["event_type"]: row["severity"]
            for row in csv.DictReader(f)
            if row["severity"] in ("high", "critical") and row["event_type"] not in covered
        }


# --- the Sigma side -------------------------------------------------------------------------------


@cache
def sigma_rule(path: Path) -> SigmaRule:
    collection = SigmaCollection.from_yaml(path.read_text(), source=SigmaRuleLocation(path))
    assert len(collection.rules) == 1, f"{path.name}: one rule per file"
    return collection.rules[0]


def rule_id_of(path: Path) -> str:
    return path.stem.removeprefix("box_")


def sigma_path(rule_id: str) -> Path:
    return SIGMA_DIR / "rules" / f"box_{rule_id}.yml"


def raw_detection(rule_id: str) -> dict[str, Any]:
    return yaml.safe_load(sigma_path(rule_id).read_text())["detection"]


# --- the matcher ----------------------------------------------------------------------------------


def _field(event: dict[str, Any], path: str) -> Any:
    """The value at a dotted Box JSON path (None when a key on the way is missing or null)."""
    value: Any = event
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _pattern(value: SigmaString) -> re.Pattern[str]:
    parts = []
    for part in value.s:
        if isinstance(part, str):
            parts.append(re.escape(part))
        elif part == SpecialChars.WILDCARD_MULTI:
            parts.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append(".")
        else:
            raise NotImplementedError(f"matcher: {part!r} in {value!r}")
    flags = re.DOTALL if isinstance(value, SigmaCasedString) else re.DOTALL | re.IGNORECASE
    return re.compile("".join(parts), flags)


def _value_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, SigmaNull):
        return actual is None
    if actual is None or isinstance(actual, dict | list):
        return False
    if isinstance(expected, SigmaCIDRExpression):
        try:
            return ipaddress.ip_address(str(actual)) in expected.network
        except ValueError:
            return False
    if isinstance(expected, SigmaString):
        text = str(actual).lower() if isinstance(actual, bool) else str(actual)
        return _pattern(expected).fullmatch(text) is not None
    raise NotImplementedError(f"matcher: value {expected!r}")


def _evaluate(node: Any, event: dict[str, Any]) -> bool:
    if isinstance(node, ConditionAND):
        return all(_evaluate(arg, event) for arg in node.args)
    if isinstance(node, ConditionOR):
        return any(_evaluate(arg, event) for arg in node.args)
    if isinstance(node, ConditionNOT):
        return not _evaluate(node.args[0], event)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _value_matches(node.value, _field(event, node.field))
    raise NotImplementedError(f"matcher: condition {type(node).__name__}")


@cache
def _condition(path: Path) -> Any:
    conditions = sigma_rule(path).detection.parsed_condition
    assert len(conditions) == 1, f"{path.name}: one condition"
    return conditions[0].parsed


def matches(path: Path, event: dict[str, Any]) -> bool:
    """Whether the Sigma rule in `path` matches one Box event (its raw JSON)."""
    return _evaluate(_condition(path), event)


# --- (a) parsing and pySigma's validators ---------------------------------------------------------


def test_there_are_rules():
    assert len(RULE_FILES) >= len(SINGLE_EVENT)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_parses_with_pysigma_and_has_the_spec_fields(path):
    rule = sigma_rule(path)
    assert rule.errors == []
    raw = yaml.safe_load(path.read_text())
    for key in ("title", "id", "status", "description", "references", "author", "date", "tags",
                "logsource", "detection", "falsepositives", "level"):  # fmt: skip
        assert raw.get(key), f"{path.name} has no {key}"
    assert rule.id == sigma_uuid(rule_id_of(path)), f"{path.name}: id is uuid5 of the rule id"
    assert str(rule.status) == "experimental"
    assert raw["logsource"] == {"product": "box", "service": "events"}
    assert all(ref.startswith("https://") for ref in raw["references"])
    used = {m for item in _detection_items(rule) for m in item.modifiers}
    assert used <= SUPPORTED_MODIFIERS, f"{path.name}: the matcher does not know {used - SUPPORTED_MODIFIERS}"


def _detection_items(rule: SigmaRule):
    def walk(detection):
        for item in detection.detection_items:
            if hasattr(item, "detection_items"):
                yield from walk(item)
            else:
                yield item

    for detection in rule.detection.detections.values():
        yield from walk(detection)


def test_rules_pass_the_pysigma_validators():
    assert set(EXCLUDED_VALIDATORS) <= set(validators), "an excluded validator no longer exists"
    used = [cls for name, cls in validators.items() if name not in EXCLUDED_VALIDATORS]
    issues = SigmaValidator(used).validate_rules(sigma_rule(p) for p in RULE_FILES)
    assert issues == []


def test_rules_convert_with_pysigmas_text_backend():
    queries = TextQueryTestBackend().convert(SigmaCollection([sigma_rule(p) for p in RULE_FILES]))
    assert len(queries) == len(RULE_FILES)
    assert all(isinstance(q, str) and q for q in queries)


# --- (b) one Sigma rule per single-event dbt rule, with its metadata ------------------------------


def test_every_dbt_rule_is_either_a_sigma_rule_or_documented_as_not_expressible():
    assert not SINGLE_EVENT & set(NOT_EXPRESSIBLE)
    assert dbt_rule_ids() == SINGLE_EVENT | set(NOT_EXPRESSIBLE) | {"catalog_severity"}
    expected = {f"box_{r}.yml" for r in SINGLE_EVENT}
    expected |= {f"box_catalog_{t.lower()}.yml" for t in uncovered_catalog_types()}
    assert {p.name for p in RULE_FILES} == expected
    readme = (SIGMA_DIR / "README.md").read_text()
    for rule_id in NOT_EXPRESSIBLE:
        assert f"`{rule_id}`" in readme, f"sigma/README.md does not say why {rule_id} is not a Sigma rule"
    for name in expected:
        assert name in readme, f"sigma/README.md does not list {name}"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_tags_title_and_level_follow_the_dbt_rule(path):
    rule_id = rule_id_of(path)
    rule = sigma_rule(path)
    catalog = uncovered_catalog_types()
    if rule_id.startswith("catalog_"):
        event_type = rule_id.removeprefix("catalog_").upper()
        meta = dbt_rule("catalog_severity")
        assert rule.title == f"Catalog: {event_type}"
        assert str(rule.level) == LEVELS[catalog[event_type]]
    else:
        meta = dbt_rule(rule_id)
        assert rule.title == meta["title"]
        assert str(rule.level) == LEVELS[meta["severity"]]
    tags = {str(tag) for tag in rule.tags}
    tactic = "attack." + meta["tactic"].lower().replace(" ", "-")
    technique = "attack." + meta["technique"].lower()
    assert tags == {tactic, technique}, f"{path.name}: tags {tags}, the dbt rule has {meta['technique']}"
    assert tactic.removeprefix("attack.") in ATTACK_TACTICS
    assert re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", technique)


def test_value_lists_are_the_dbt_rules_thresholds():
    """The lists a dbt rule keeps as thresholds are the same in its Sigma rule (its defaults)."""

    for rule_id, key in (("executable_uploaded", "executable_extensions"),
                         ("forbidden_file_downloaded", "forbidden_extensions")):  # fmt: skip
        extensions = raw_detection(rule_id)["selection"]["source.item_name|endswith"]
        assert [e.removeprefix(".") for e in extensions] == dbt_rule(rule_id)["thresholds"][key]
    patterns = dbt_rule("sensitive_file_name")["thresholds"]["sensitive_name_patterns"]
    detection = raw_detection("sensitive_file_name")
    assert detection["selection"]["source.item_name|contains"] == patterns
    assert detection["filter_already_sensitive"]["additional_details.old_name|contains"] == patterns
    owners = dbt_rule("collaborator_promoted_to_owner")["thresholds"]["owner_roles"]
    detection = raw_detection("collaborator_promoted_to_owner")
    assert sorted(detection["selection"]["additional_details.role"]) == sorted(owners)
    assert sorted(detection["filter_already_owner"]["additional_details.old_role"]) == sorted(owners)


# --- (c) the Sigma rule and the dbt rule agree on the dbt rule's cases ----------------------------

CASES = [c for c in load_cases() if c.rule_id in SINGLE_EVENT | {"catalog_severity"}]


def _rules_for(case: Case) -> list[Path]:
    if case.rule_id == "catalog_severity":
        return [sigma_path(f"catalog_{t.lower()}") for t in uncovered_catalog_types()]
    return [sigma_path(case.rule_id)]


def test_every_single_event_rule_has_cases():
    assert {c.rule_id for c in CASES} == SINGLE_EVENT | {"catalog_severity"}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sigma_rule_agrees_with_the_dbt_rule_on_its_case(case):
    paths = _rules_for(case)
    probe = [e for e in case.events if e["event_id"] in case.finding_ids]
    assert probe, f"{case}: no events outside the baseline"
    if case.expect == "finding":
        missed = [e for e in probe if not any(matches(p, e) for p in paths)]
        assert missed == [], f"{case}: the Sigma rule misses {missed}"
    else:
        assert case.expect == "none", case
        hits = [(p.name, e) for e in probe for p in paths if matches(p, e)]
        assert hits == [], f"{case}: a near-miss matches {hits}"


SHIELD_RULES = {
    "shield_anomalous_download": {"Anomalous Download"},
    "shield_suspicious_login": {"Suspicious Locations", "Suspicious Sessions"},
    "shield_malicious_content": {"Malicious Content"},
    "shield_alert_other": None,
}


def _shield_alerts() -> list[dict[str, Any]]:
    """SHIELD_ALERT events of every case and of the public-shape samples (real Box layouts)."""
    events = [e for c in load_cases() for e in c.events if e["event_type"] == "SHIELD_ALERT"]
    for path in sorted(SAMPLES.glob("*.json")):
        event = json.loads(path.read_text())["event"]
        if event.get("event_type") == "SHIELD_ALERT":
            events.append(event)
    return events


def test_every_shield_alert_matches_exactly_one_shield_rule():
    alerts = _shield_alerts()
    categories = {a["additional_details"]["shield_alert"]["rule_category"] for a in alerts}
    assert len(categories) >= 5, categories
    for alert in alerts:
        category = alert["additional_details"]["shield_alert"]["rule_category"]
        hits = [r for r in SHIELD_RULES if matches(sigma_path(r), alert)]
        assert len(hits) == 1, f"{category}: matched by {hits}"
        categories = SHIELD_RULES[hits[0]]
        assert categories is None or category in categories, (category, hits)


def test_the_matcher_is_case_insensitive_and_null_aware():
    """Sigma's plain values match any case; a missing key is null and never equals a value."""
    path = sigma_path("collaborator_promoted_to_owner")
    event = {"event_type": "collaboration_role_change", "additional_details": {"role": "co-owner"}}
    assert matches(path, event)
    assert not matches(path, {**event, "additional_details": {"role": "co-owner", "old_role": "OWNER"}})
    assert not matches(path, {"event_type": "COLLABORATION_ROLE_CHANGE", "additional_details": None})
    device = sigma_path("new_login_device")
    assert matches(device, {"event_type": "ADD_LOGIN_ACTIVITY_DEVICE", "ip_address": "Unknown IP"})
    assert not matches(device, {"event_type": "ADD_LOGIN_ACTIVITY_DEVICE", "ip_address": "198.51.100.9"})

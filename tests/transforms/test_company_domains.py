"""Who "us" is: the company's domains inferred from the events when none are configured."""

from __future__ import annotations

from datetime import timedelta

from pipelines.status import status
from tests.transforms.world import END, build_world
from transforms import Tuning
from transforms.company import infer_company_domains
from transforms.runner import transform_variables


def test_the_domain_whose_users_sign_in_is_ours_and_partners_and_free_mail_are_not():
    rows = [
        ("globex.example", "LOGIN", 900),
        ("globex-labs.example", "LOGIN", 200),  # a subsidiary: 22% of the largest
        ("partner.example", "LOGIN", 20),  # a partner's users who appear now and then
        ("gmail.com", "LOGIN", 900),  # a public mail service, however many
        ("it-outsourcer.example", "NEW_USER", 1),  # an admin-only action: someone who runs us
        (None, "LOGIN", 5),
    ]
    assert infer_company_domains(rows) == ["globex-labs.example", "globex.example", "it-outsourcer.example"]
    assert infer_company_domains([]) == []


def test_an_enterprise_outside_the_default_domain_is_not_all_external(tmp_path):
    world = build_world(
        tmp_path, start=END - timedelta(days=3), end=END, seed=3, events_per_day=300,
        company_domain="globex.example", scenarios=[],
    )  # fmt: skip
    assert world.query("select domain, source from company_domains order by domain") == [
        ("boxdevedition.com", "box service accounts"),
        ("globex.example", "inferred"),
    ]
    logins = world.query(
        "select count(*), count(case when actor_is_external then 1 end) from stg_box__events "
        "where event_type = 'LOGIN'"
    )
    assert logins[0][0] > 0 and logins[0][1] == 0, "employees counted as external"
    line = next(line for line in status(world.pipeline).lines() if line.startswith("company domains"))
    assert line == (
        "company domains: globex.example "
        "(inferred from the events; set [transforms] company_domains to override)"
    )


def test_configured_domains_win_and_skip_the_inference(world):
    variables = transform_variables(
        world.pipeline, Tuning.of(company_domains=["Example.org", "@example.net"])
    )
    assert (variables["company_domains"], variables["company_domains_source"]) == (
        ["example.net", "example.org"],
        "configured",
    )
    inferred = transform_variables(world.pipeline, Tuning())
    assert (inferred["company_domains"], inferred["company_domains_source"]) == (["example.com"], "inferred")

"""A full extract + load over realistic legacy data carrying every defect."""

from datetime import UTC, datetime
from decimal import Decimal

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.mapping import map_record
from migrator.mapping.users import normalise_email
from migrator.verify import run_verify

from .support import Scenario, fetch


async def test_full_run_migrates_every_record_or_reports_why(scenario: Scenario) -> None:
    extracted = await run_extract(scenario.extract_settings())
    total = sum(len(d) for d in scenario.documents.values())
    assert extracted.published == total

    summary = await run_load(scenario.load_settings())
    assert summary.consumed == total
    rejected = {(c, legacy_id): reason for c, legacy_id, reason in summary.rejects}
    # Nothing is dropped silently: each record is a row (or merged into one) or a reject.
    assert sum(summary.outcome.migrated.values()) + len(rejected) == total
    reasons = " | ".join(rejected.values())
    for expected in (
        "email: missing",
        "not an email address",
        "passwordHash: missing",
        "status: unknown value 'paused'",
        "country: not a two-letter code: 'USA'",
        "count: out of range: -3",
        "code 'starter' belongs to the older tier",  # a second tier coded "starter"
        "owner_id: users",  # the owner of a workspace was deleted long ago
        "is missing (never arrived",
    ):
        assert expected in reasons
    stored = await fetch(
        scenario.postgres_url,
        "SELECT collection, legacy_id, reason FROM migrator.migration_rejects",
    )
    assert {(r["collection"], r["legacy_id"]) for r in stored} == set(rejected)

    report = await run_verify(scenario.operator_settings())
    assert not report.has_drift, [c for c in report.collections if c.drift]


async def test_legacy_values_are_normalised(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    users = {
        r["legacy_id"]: r
        for r in await fetch(scenario.postgres_url, "SELECT *, email::text AS e FROM core.users")
    }
    legacy_users = scenario.documents["users"]
    shouting = next(
        u
        for u in legacy_users
        if str(u.get("email", "")).startswith("  User") and str(u["_id"]) in users
    )
    row = users[str(shouting["_id"])]
    assert row["e"] == shouting["email"].strip().lower()
    # The old bcrypt hash is carried over untouched; core-api upgrades it at login.
    assert row["password_hash"] == shouting["passwordHash"]
    assert row["password_hash"].startswith("$2b$")
    for legacy in legacy_users:
        mine = users.get(str(legacy["_id"]))
        if mine is not None and "updatedAt" not in legacy:
            assert mine["updated_at"] == mine["created_at"]
    superuser = next(u for u in legacy_users if u.get("role") == "superuser" and "email" in u)
    assert users[str(superuser["_id"])]["role"] == "user"

    tiers = {r["code"]: r for r in await fetch(scenario.postgres_url, "SELECT * FROM core.tiers")}
    assert tiers["starter"]["price_monthly"] == Decimal("9.00")
    assert tiers["pro-plus"]["price_monthly"] == Decimal("49.90")
    assert tiers["starter"]["ai_tokens_monthly"] == 1_000_000  # was the string "1000000"
    assert "broken" not in tiers

    counters = await fetch(scenario.postgres_url, "SELECT period, count FROM core.usage_counters")
    assert all(len(c["period"]) == 7 for c in counters)
    subs = await fetch(scenario.postgres_url, "SELECT current_period_start FROM core.subscriptions")
    assert all(datetime(2021, 1, 1, tzinfo=UTC) < s["current_period_start"] for s in subs)


async def test_accounts_differing_in_case_merge_into_the_oldest(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    summary = await run_load(scenario.load_settings())
    groups: dict[str, list[dict[str, object]]] = {}
    for user in scenario.documents["users"]:
        try:
            email = normalise_email(user.get("email"))
        except ValueError:
            continue
        if email and "passwordHash" in user:
            groups.setdefault(email, []).append(user)
    duplicated = {email: g for email, g in groups.items() if len(g) > 1}
    assert duplicated, "the generator always produces case duplicates"
    rows = {
        r["email"]: r
        for r in await fetch(
            scenario.postgres_url, "SELECT email::text AS email, legacy_id, id FROM core.users"
        )
    }
    merged = {m[0]: m[1] for m in summary.merges}
    for email, group in duplicated.items():
        kept = rows[email]
        ages = {}
        for user in group:
            legacy_id = str(user["_id"])
            ages[legacy_id] = (map_record("users", legacy_id, user).values["created_at"], legacy_id)
        assert kept["legacy_id"] == min(ages, key=ages.__getitem__)  # the oldest account
        others = set(ages) - {kept["legacy_id"]}
        # ...and the merge is reported, every other account pointing at the kept one.
        assert all(merged[o] == kept["legacy_id"] for o in others)
    # A membership of a merged account now points at the surviving row.
    kept_of = {m[0]: m[1] for m in summary.merges}
    user_row = {
        r["legacy_id"]: r["id"]
        for r in await fetch(scenario.postgres_url, "SELECT legacy_id, id FROM core.users")
    }
    members = {
        r["legacy_id"]: r["user_id"]
        for r in await fetch(
            scenario.postgres_url, "SELECT legacy_id, user_id FROM core.workspace_members"
        )
    }
    repointed = [
        (str(m["_id"]), kept_of[str(m["userId"])])
        for m in scenario.documents["workspacemembers"]
        if str(m.get("userId")) in kept_of and str(m["_id"]) in members
    ]
    assert repointed, "the generated data has memberships of merged accounts"
    for member, kept in repointed:
        assert members[member] == user_row[kept]

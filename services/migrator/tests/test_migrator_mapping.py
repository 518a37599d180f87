"""Property tests of the mapping rules (pure functions, no servers)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.mapping import TABLES, Unmappable, map_record
from migrator.mapping.ejson import decimal, integer, timestamp
from migrator.mapping.rows import ID_NAMESPACE, row_id, user_id_for_email
from migrator.mapping.usage_counters import normalise_period
from migrator.mapping.users import normalise_email
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER

LEGACY_ID = "65a0f0c2e4b0a1b2c3d4e5f6"
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
legacy_fields = st.sampled_from(
    [
        "email", "passwordHash", "name", "role", "isActive", "code", "priceMonthly", "limits",
        "slug", "ownerId", "tierId", "workspaceId", "userId", "stripeCustomerId", "country",
        "status", "currentPeriodStart", "currentPeriodEnd", "cancelAtPeriodEnd", "metric",
        "period", "count", "createdAt", "updatedAt",
    ]
)  # fmt: skip


@given(moments)
def test_every_legacy_date_spelling_is_the_same_moment(moment: datetime) -> None:
    millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    spellings: list[Any] = [
        moment,
        {"$date": moment.isoformat().replace("+00:00", "Z")},
        {"$date": {"$numberLong": str(millis)}},
        moment.isoformat(),
        millis,
        str(millis),
    ]
    if moment.microsecond == 0:
        spellings += [millis // 1000, moment.strftime("%Y-%m-%d %H:%M:%S")]
    assert {timestamp(s, "at") for s in spellings} == {moment}


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_numbers_given_as_strings_read_as_numbers(value: Decimal) -> None:
    assert decimal(str(value), "n") == value
    assert decimal({"$numberDecimal": str(value)}, "n") == value
    assert integer(f" {int(value)} ", "n") == integer({"$numberLong": str(int(value))}, "n")


@given(
    st.from_regex(r"[a-z0-9._]{1,12}@[a-z0-9]{1,10}\.[a-z]{2,4}", fullmatch=True),
    st.randoms(use_true_random=False),
    st.text(" \t", max_size=3),
)
def test_emails_differing_in_case_or_spaces_are_one_user(email: str, rng: Any, pad: str) -> None:
    shouted = "".join(c.upper() if rng.random() < 0.5 else c for c in email)
    assert normalise_email(pad + shouted + pad) == email
    one = map_record("users", LEGACY_ID, {"email": email, "passwordHash": "$2b$x"})
    other = map_record(
        "users", "75a0f0c2e4b0a1b2c3d4e5f6", {"email": pad + shouted, "passwordHash": "$2b$y"}
    )
    assert one.id == other.id


@given(st.integers(1970, 2099), st.integers(1, 12))
def test_periods_are_read_as_their_month(year: int, month: int) -> None:
    wanted = f"{year:04d}-{month:02d}"
    assert normalise_period(f"{year}-{month}") == wanted
    assert normalise_period(f"{year}-{month:02d}-15T10:00:00Z") == wanted


@settings(max_examples=300)
@given(
    st.sampled_from(LEGACY_COLLECTIONS_IN_ORDER),
    st.dictionaries(legacy_fields | st.text(max_size=10), json_values, max_size=10),
)
def test_any_document_maps_or_is_rejected_with_a_reason(
    collection: Any, document: dict[str, Any]
) -> None:
    try:
        row = map_record(collection, LEGACY_ID, document)
    except Unmappable as exc:
        assert str(exc)
        return
    # A mapped row is deterministic and fills every column the table gets.
    assert map_record(collection, LEGACY_ID, document) == row
    spec = TABLES[collection]
    assert len(spec.row_tuple(row, dict.fromkeys(row.refs))) == len(spec.columns)
    assert row.values["updated_at"] is not None


@given(moments, st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=4))
def test_missing_updated_at_is_created_at_and_extra_fields_are_ignored(
    created: datetime, extra: dict[str, Any]
) -> None:
    base = {"code": "pro", "createdAt": {"$date": created.isoformat()}}
    document = {**extra, **base}
    document.pop("updatedAt", None)
    for key in ("name", "priceMonthly", "limits", "isActive"):
        document.pop(key, None)
    row = map_record("tiers", LEGACY_ID, document)
    assert row.values["created_at"] == row.values["updated_at"] == created
    assert row.values["code"] == "pro"


def test_unknown_enum_values_follow_the_documented_rule() -> None:
    member = {"workspaceId": LEGACY_ID, "userId": LEGACY_ID, "role": "guest"}
    assert map_record("workspacemembers", LEGACY_ID, member).values["role"] == "member"
    sub = {"workspaceId": LEGACY_ID, "tierId": LEGACY_ID, "status": "paused"}
    with pytest.raises(Unmappable, match="status"):
        map_record("subscriptions", LEGACY_ID, sub)
    sub["status"] = "Cancelled"
    assert map_record("subscriptions", LEGACY_ID, sub).values["status"] == "canceled"


def test_a_dangling_reference_is_kept_for_the_loader_to_judge() -> None:
    doc = {"workspaceId": {"$oid": LEGACY_ID}, "metric": "m", "period": "2024-01", "count": "5"}
    row = map_record("usagecounters", LEGACY_ID, doc)
    assert row.refs["workspace_id"] is not None
    assert row.refs["workspace_id"].legacy_id == LEGACY_ID
    assert row.values["count"] == 5
    assert timestamp("2024-01-01", "d") == datetime(2024, 1, 1, tzinfo=UTC)
    assert timestamp(None, "d") is None


def test_the_legacy_generator_is_deterministic_by_seed() -> None:
    from sendfx_dev.legacy_data import generate

    assert generate(300, seed=3) == generate(300, seed=3)
    assert generate(300, seed=3) != generate(300, seed=4)
    documents = generate(300, seed=3)
    assert abs(sum(len(d) for d in documents.values()) - 300) <= 10


@given(st.sampled_from(LEGACY_COLLECTIONS_IN_ORDER), st.text(max_size=40))
def test_row_ids_are_the_uuid5_of_earlier_runs(collection: Any, legacy_id: str) -> None:
    # Ids must never change between versions: rows migrated before stay the same rows.
    expected = uuid.uuid5(ID_NAMESPACE, f"{collection}:{legacy_id}")
    got = row_id(collection, legacy_id)
    assert (got, str(got), hash(got), got.version) == (expected, str(expected), hash(expected), 5)
    assert user_id_for_email(legacy_id) == uuid.uuid5(ID_NAMESPACE, f"users:email:{legacy_id}")


@given(st.integers(-(10**14), 10**14), st.sampled_from(["{}", " {} ", "{}.0"]))
def test_epoch_numbers_read_the_same_as_exact_decimals(number: int, spelling: str) -> None:
    millis = number if abs(number) >= 10**10 else number * 1000
    if not 0 <= millis < 4_102_444_800_000:  # 1970 to 2100: others are refused
        return
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    assert timestamp(spelling.format(number), "d") == expected
    assert timestamp(number, "d") == expected

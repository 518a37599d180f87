"""Realistic legacy core data, with every defect the mapping rules handle.

Deterministic by seed: the same ``(count, seed)`` yields the same documents
(ObjectIds included), so tests and benchmarks can name what they expect.
The defects, each at a steady rate so that even a few hundred records carry
all of them: emails with stray spaces and capitals, accounts whose emails
differ only in case (sometimes the later ``_id`` is the older account), no
or invalid email, no password hash; dates as ``Date``, ISO strings, epoch
seconds, epoch milliseconds (numbers and strings), missing ``updatedAt`` or
``createdAt``; numbers as strings; booleans as strings; unknown enum values;
missing and upper-case slugs; lower-case and invalid countries; references to
users, workspaces and tiers that do not exist; unknown extra fields; a tier
code used twice.
"""

import random
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bson.objectid import ObjectId
from pymongo import AsyncMongoClient

from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER

Documents = dict[str, list[dict[str, Any]]]

# Bumped whenever the output for a given (count, seed) changes, so caches of
# generated data (bench/migrate.py) know they are stale.
GENERATOR_VERSION: Final = 2

_EPOCH: Final = datetime(2021, 1, 4, 9, 30, tzinfo=UTC)
_COUNTRIES: Final = ("US", "DE", "FR", "GB", "ES", "IT", "NL", "SE", "PL", "BR")
_BCRYPT_ALPHABET: Final = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SHARES: Final = {  # of the non-tier records
    "users": 0.30,
    "workspaces": 0.15,
    "workspacemembers": 0.25,
    "billingaccounts": 0.08,
    "subscriptions": 0.10,
}


class _Ids:
    """ObjectIds whose timestamp is the record's creation, unique per collection."""

    def __init__(self) -> None:
        self.counter = 0

    def make(self, collection_index: int, moment: datetime) -> ObjectId:
        self.counter += 1
        stamp = int(moment.timestamp())
        return ObjectId(f"{stamp:08x}{collection_index:02x}{self.counter:014x}")


def _date(rng: random.Random, moment: datetime, i: int) -> Any:
    """A moment the way the legacy app happened to store it."""
    style = i % 10
    if style < 4:
        return moment
    if style < 6:
        return moment.isoformat().replace("+00:00", "Z")
    if style == 6:
        return int(moment.timestamp() * 1000)
    if style == 7:
        return int(moment.timestamp())
    if style == 8:
        return str(int(moment.timestamp() * 1000))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _stamps(rng: random.Random, created: datetime, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if i % 23 != 7:  # some records never had createdAt: the ObjectId has it
        out["createdAt"] = _date(rng, created, i)
    if i % 5 != 2:  # missing updatedAt is common
        updated = created + timedelta(seconds=rng.randint(0, 86_400 * 200))
        out["updatedAt"] = _date(rng, updated, i + 3)
    return out


def _extra(rng: random.Random, i: int) -> dict[str, Any]:
    if i % 9 == 4:
        return {"__v": rng.randint(0, 3), "legacyFlags": {"beta": bool(i % 2)}}
    return {}


def _moment(rng: random.Random, days: int = 900) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randint(0, 86_400 * days))


def _bool(value: bool, i: int) -> Any:
    return ("true" if value else "false") if i % 7 == 3 else value


def _missing_id(rng: random.Random) -> ObjectId:
    return ObjectId(f"{rng.getrandbits(96):024x}")


def generate(count: int, seed: int = 7) -> Documents:
    """About ``count`` legacy documents over the seven core collections."""
    rng = random.Random(seed)
    ids = _Ids()
    out: Documents = {c: [] for c in LEGACY_COLLECTIONS_IN_ORDER}
    rest = max(count - 6, 30)
    quota = {c: max(int(rest * share), 3) for c, share in _SHARES.items()}
    quota["usagecounters"] = max(rest - sum(quota.values()), 3)

    tiers = out["tiers"]
    for i, (code, price) in enumerate(
        [("free", 0), ("starter", "9.00"), ("pro", 29), ("business", "99.5"), ("Pro Plus", "49.90")]
    ):
        created = _EPOCH - timedelta(days=400 - i)
        tiers.append(
            {
                "_id": ids.make(1, created),
                "code": code,
                "name": code.title(),
                "priceMonthly": price,
                "limits": {
                    "aiTokensMonthly": str(100_000 * 10**i) if i % 2 else 100_000 * 10**i,
                    "flows": 5 * (i + 1),
                    "members": None if i == 4 else 3 * (i + 1),
                },
                "isActive": _bool(i != 3, i),
                **_stamps(rng, created, i),
            }
        )
    # A tier with a negative price, and a second "starter" (a code must be
    # unique): both rejected with their reasons.
    tiers.append({"_id": ids.make(1, _EPOCH), "code": "broken", "priceMonthly": "-5"})
    tiers.append({"_id": ids.make(1, _EPOCH), "code": "Starter", "name": "Starter (copy)"})
    tier_ids = [t["_id"] for t in tiers[:5]]

    users = out["users"]
    for i in range(quota["users"]):
        created = _moment(rng)
        doc: dict[str, Any] = {
            "_id": ids.make(2, created),
            "email": f"user{i}@example{i % 40}.com",
            "passwordHash": "$2b$10$" + "".join(rng.choices(_BCRYPT_ALPHABET, k=53)),
            "name": f"User {i}",
            "role": "admin" if i % 50 == 1 else ("superuser" if i % 67 == 5 else "user"),
            "isActive": _bool(i % 11 != 0, i),
            **_stamps(rng, created, i),
            **_extra(rng, i),
        }
        if i % 8 == 3:
            doc["email"] = f"  User{i}@Example{i % 40}.COM "
        if i % 31 == 9 and i > 0:
            # An account whose email differs only in case from an earlier one;
            # every other such pair has the later _id as the older account.
            earlier = users[rng.randrange(len(users))]
            doc["email"] = str(earlier.get("email", doc["email"])).strip().upper()
            if i % 2:
                doc["createdAt"] = datetime(2020, 6, 1, tzinfo=UTC)
        if i % 101 == 50:
            del doc["email"]
        if i % 103 == 51:
            doc["email"] = "not-an-email"
        if i % 107 == 52:
            doc.pop("passwordHash")
        users.append(doc)
    user_ids = [u["_id"] for u in users]

    workspaces = out["workspaces"]
    for i in range(quota["workspaces"]):
        created = _moment(rng)
        doc = {
            "_id": ids.make(3, created),
            "name": f"Workspace {i}",
            "slug": f"ws-{i}",
            "ownerId": user_ids[rng.randrange(len(user_ids))],
            "tierId": tier_ids[i % len(tier_ids)],
            **_stamps(rng, created, i),
            **_extra(rng, i),
        }
        if i % 13 == 6:
            del doc["slug"]
        if i % 17 == 8:
            doc["slug"] = f"WS_{i}"
        if i % 29 == 14:
            doc["ownerId"] = _missing_id(rng)  # the owner was deleted long ago
        if i % 37 == 20:
            doc["tierId"] = str(_missing_id(rng))
        if i % 19 == 11:
            del doc["ownerId"]
        workspaces.append(doc)
    ws_ids = [w["_id"] for w in workspaces]

    members = out["workspacemembers"]
    pairs: set[tuple[int, int]] = set()
    for w, ws in enumerate(workspaces):
        if len(members) >= quota["workspacemembers"]:
            break
        owner = ws.get("ownerId")
        if isinstance(owner, ObjectId) and owner in user_ids:
            pairs.add((w, user_ids.index(owner)))
            members.append(_member(rng, ids, ws["_id"], owner, "owner", len(members)))
    attempts = 0
    while len(members) < quota["workspacemembers"] and attempts < quota["workspacemembers"] * 20:
        attempts += 1
        w, u = rng.randrange(len(ws_ids)), rng.randrange(len(user_ids))
        if (w, u) in pairs:
            continue
        pairs.add((w, u))
        i = len(members)
        role = "admin" if i % 6 == 0 else ("guest" if i % 71 == 3 else "member")
        user: Any = user_ids[u] if i % 43 != 10 else _missing_id(rng)
        members.append(_member(rng, ids, ws_ids[w], user, role, i))

    for i in range(min(quota["billingaccounts"], len(ws_ids))):
        created = _moment(rng)
        country: Any = _COUNTRIES[i % len(_COUNTRIES)]
        if i % 10 == 4:
            country = country.lower()
        if i % 53 == 9:
            country = "USA"
        out["billingaccounts"].append(
            {
                "_id": ids.make(5, created),
                "workspaceId": ws_ids[i] if i % 47 != 12 else _missing_id(rng),
                "stripeCustomerId": f"cus_{seed}_{i:07d}",
                "email": f"Billing{i}@Example.com" if i % 3 else None,
                "country": country,
                **_stamps(rng, created, i),
                **_extra(rng, i),
            }
        )

    for i in range(quota["subscriptions"]):
        created = _moment(rng)
        start = created + timedelta(days=rng.randint(0, 60))
        live = i < len(ws_ids)
        status: str = ("active", "trialing", "past_due")[i % 3] if live else "canceled"
        if live and i % 41 == 7:
            status = "cancelled"
        if i % 59 == 13:
            status = "paused"
        doc = {
            "_id": ids.make(6, created),
            "workspaceId": ws_ids[i % len(ws_ids)],
            "tierId": tier_ids[i % len(tier_ids)],
            "status": status,
            "currentPeriodStart": _date(rng, start, i),
            "currentPeriodEnd": _date(rng, start + timedelta(days=30), i),
            "stripeSubscriptionId": f"sub_{seed}_{i:07d}",
            "cancelAtPeriodEnd": _bool(i % 9 == 0, i),
            **_stamps(rng, created, i),
        }
        if i % 61 == 30:
            doc["workspaceId"] = _missing_id(rng)
        out["subscriptions"].append(doc)

    metrics = ("ai_tokens", "flow_runs")
    n_ws = len(ws_ids)
    for i in range(quota["usagecounters"]):
        created = _moment(rng)
        month = i // (2 * n_ws)
        year, mon = 2023 + month // 12, month % 12 + 1
        tally: Any = rng.randint(0, 5_000_000)
        if i % 5 == 1:
            tally = str(tally)
        if i % 97 == 40:
            tally = -3
        out["usagecounters"].append(
            {
                "_id": ids.make(7, created),
                "workspaceId": ws_ids[i % n_ws],
                "metric": metrics[(i // n_ws) % 2],
                "period": f"{year}-{mon}" if i % 20 == 3 else f"{year}-{mon:02d}",
                "count": tally,
                **_stamps(rng, created, i),
            }
        )
    return out


def _member(
    rng: random.Random, ids: _Ids, workspace: ObjectId, user: Any, role: str, i: int
) -> dict[str, Any]:
    created = _moment(rng)
    return {
        "_id": ids.make(4, created),
        "workspaceId": workspace,
        "userId": user,
        "role": role.upper() if i % 15 == 2 else role,
        **_stamps(rng, created, i),
    }


async def insert(mongo_url: str, database: str, documents: Documents) -> int:
    """Write the documents into ``database`` (the collections are emptied first)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    written = 0
    try:
        db = client[database]
        for collection, docs in documents.items():
            await db[collection].delete_many({})
            for start in range(0, len(docs), 1000):
                chunk = docs[start : start + 1000]
                if chunk:
                    await db[collection].insert_many(chunk, ordered=False)
                    written += len(chunk)
    finally:
        await client.close()
    return written

"""``sendfx-dev check-ownership`` against a running stack's stores."""

import asyncio

from sendfx_dev import ownership
from sendfx_dev.stack import StackConfig
from sendfx_shared.postgres import connect
from sendfx_shared.settings import database_of


async def _check(config: StackConfig) -> list[str]:
    from pymongo import AsyncMongoClient

    admin = await connect(config.postgres_url)
    try:
        drift = await ownership.check_postgres(admin)
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(config.mongo_url)
    try:
        database = database_of(config.mongo_url)
        drift += await ownership.check_mongo(client.admin, database, database)
    finally:
        await client.close()
    return drift


def check_stack(config: StackConfig) -> list[str]:
    return asyncio.run(_check(config))

"""The unit of work: a transient conflict runs the block again (as
``with_transaction`` would), any other failure leaves nothing written."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.errors import PyMongoError

from feature_api.database import AGENT_RUNS, FeatureDatabase, new_id, open_database


@pytest.fixture
async def database(feature_settings: Any) -> AsyncIterator[FeatureDatabase]:
    opened = open_database(feature_settings.mongo_url, feature_settings.mongo_database)
    yield opened
    await opened.close()


class Refused(Exception):
    pass


async def test_a_transient_conflict_runs_the_block_again(database: FeatureDatabase) -> None:
    marker = f"uow-{new_id()}"
    runs = 0
    async for uow in database.units():
        async with uow:
            runs += 1
            await uow.db[AGENT_RUNS].insert_one({"_id": f"{marker}:{runs}"}, session=uow.session)
            if runs == 1:
                raise PyMongoError("write conflict", error_labels=["TransientTransactionError"])
    assert runs == 2
    assert await database.db[AGENT_RUNS].find_one({"_id": f"{marker}:1"}) is None
    assert await database.db[AGENT_RUNS].find_one({"_id": f"{marker}:2"}) is not None


async def test_any_other_failure_writes_nothing_and_is_raised(database: FeatureDatabase) -> None:
    marker = f"uow-{new_id()}"
    runs = 0
    with pytest.raises(Refused):
        async for uow in database.units():
            async with uow:
                runs += 1
                await uow.db[AGENT_RUNS].insert_one({"_id": marker}, session=uow.session)
                raise Refused
    assert runs == 1
    assert await database.db[AGENT_RUNS].find_one({"_id": marker}) is None


async def test_hooks_run_after_the_commit(database: FeatureDatabase) -> None:
    woken: list[bool] = []
    database.after_commit.append(lambda: woken.append(True))
    async for uow in database.units():
        async with uow:
            assert not woken
    assert woken == [True]

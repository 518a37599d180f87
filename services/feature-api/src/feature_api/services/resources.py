"""The reads and the delete every workspace-owned resource (a conversation, a
knowledge document, a flow) has, written once: its service names what the
resource is called and which repository functions and event it uses, and
keeps only what is its own (creating, changing, its rules)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import FeatureDatabase
from feature_api.services.access import R, deleted, resource_access, workspace_access
from feature_api.unit_of_work import Document, UnitOfWork
from sendfx_shared.auth import Principal
from sendfx_shared.pagination import Page, PageRequest


@dataclass(frozen=True)
class WorkspaceResources(Generic[R]):
    what: str  # as the 404 names it: "knowledge document"
    fetch: Callable[[AsyncDatabase[Document], str], Awaitable[R | None]]
    fetch_page: Callable[[AsyncDatabase[Document], str, str | None, int], Awaitable[Page[R]]]
    remove: Callable[[UnitOfWork, str], Awaitable[bool]]
    deleted_type: str  # the event announcing a delete, whose data is ``changed``
    changed: Callable[[R], BaseModel]

    async def accessible(
        self,
        database: FeatureDatabase,
        principal: Principal,
        resource_id: str,
        *,
        manage: bool = False,
    ) -> R:
        """The resource when the caller may act on its workspace; else 404."""
        resource = await self.fetch(database.db, resource_id)
        return await resource_access(database.db, principal, resource, self.what, manage=manage)

    async def get(self, database: FeatureDatabase, principal: Principal, resource_id: str) -> R:
        return await self.accessible(database, principal, resource_id)

    async def list(
        self,
        database: FeatureDatabase,
        principal: Principal,
        workspace_id: uuid.UUID,
        page: PageRequest,
    ) -> Page[R]:
        wid = await workspace_access(database.db, principal, workspace_id)
        return await self.fetch_page(database.db, wid, page.cursor, page.limit)

    async def delete(
        self, database: FeatureDatabase, principal: Principal, resource_id: str
    ) -> None:
        """Deleting needs the manage role; the event carries what was deleted."""
        resource = await self.accessible(database, principal, resource_id, manage=True)
        async for uow in database.units():
            async with uow:
                deleted(await self.remove(uow, resource_id), self.what)
                uow.emit(self.deleted_type, key=resource_id, data=self.changed(resource))

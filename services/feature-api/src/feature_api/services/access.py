"""Who may act on a workspace: its members (from the read model) and
platform admins. Anyone else learns nothing, not even that it exists (404).

Roles as in core-api: every member uses the workspace (reads, conversations,
AI calls, knowledge it adds); changing its configuration (flows, drafts, the
assistant) and deleting anything needs the owner or admin role (``manage``),
else 403: the member already knows the workspace exists.

Named as core-api's ``services/access.py``: ``workspace_access`` for a
workspace, ``resource_access`` for something that belongs to one."""

import uuid
from typing import Protocol, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories import read_model
from feature_api.unit_of_work import Document
from sendfx_shared.auth import Principal
from sendfx_shared.problems import Forbidden, NotFound, Unauthorized


class InWorkspace(Protocol):
    @property
    def workspace_id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=InWorkspace)
T = TypeVar("T")


def found(value: T | None, what: str) -> T:
    """``value``, or 404 ``what`` when there is none (read, or updated, it was gone)."""
    if value is None:
        raise NotFound(what)
    return value


def deleted(done: bool, what: str) -> None:
    """404 ``what`` when the delete matched nothing (a concurrent one came first)."""
    if not done:
        raise NotFound(what)


_MANAGERS = ("owner", "admin")


async def workspace_access(
    db: AsyncDatabase[Document],
    principal: Principal,
    workspace_id: uuid.UUID | str,
    *,
    manage: bool = False,
) -> str:
    """The workspace id (as stored) when ``principal`` may act on it (with
    ``manage``: change its configuration or delete)."""
    wid = str(workspace_id)
    known = await read_model.workspace(db, wid)
    if known is not None and known.get("deleted"):
        raise NotFound("workspace")
    if principal.is_admin:
        # Any workspace core-api has announced; a member event may come
        # before its workspace.created, so members need only membership.
        if known is not None:
            return wid
    else:
        role = await read_model.role_of(db, wid, str(principal.user_id))
        if role is not None:
            if manage and role not in _MANAGERS:
                raise Forbidden("this needs the owner or admin role in the workspace")
            return wid
    raise NotFound("workspace")


async def resource_access(
    db: AsyncDatabase[Document],
    principal: Principal,
    resource: R | None,
    what: str,
    *,
    manage: bool = False,
) -> R:
    """``resource`` when it exists and its workspace is the caller's; else 404."""
    if resource is None:
        raise NotFound(what)
    try:
        await workspace_access(db, principal, resource.workspace_id, manage=manage)
    except NotFound:
        raise NotFound(what) from None
    return resource


async def token_not_revoked(db: AsyncDatabase[Document], principal: Principal) -> None:
    """401 when core-api has since deactivated the user or moved their auth
    version on (a role or password change): the projection keeps both, and
    the request waited for it to be current (``fresh.py``). A user not yet
    announced is vouched for by the signature alone."""
    known = await read_model.user(db, str(principal.user_id))
    if known is None:
        return
    if principal.revoked_by(
        is_active=known.get("is_active", True), auth_version=int(known.get("auth_version", 0))
    ):
        raise Unauthorized("the access token has been revoked")

"""Who may see and change a workspace.

Platform admins act on any workspace. Anyone else must be a member: a
workspace they are not a member of does not exist for them (404, never 403,
so its existence does not leak). Members who lack the role for a change get
403: they already know the workspace exists.
"""

import uuid
from dataclasses import dataclass

from core_api.db import Db
from core_api.repositories import workspaces as workspaces_repo
from sendfx_shared.auth import Principal
from sendfx_shared.problems import Forbidden, NotFound

_MANAGERS = ("owner", "admin")


@dataclass(frozen=True)
class Access:
    workspace_id: uuid.UUID
    role: str | None  # None: a platform admin who is not a member
    platform_admin: bool

    @property
    def can_manage(self) -> bool:
        return self.platform_admin or self.role in _MANAGERS

    @property
    def is_owner(self) -> bool:
        return self.platform_admin or self.role == "owner"


async def workspace_access(
    db: Db,
    principal: Principal,
    workspace_id: uuid.UUID,
    *,
    manage: bool = False,
    lock: bool = False,
) -> Access:
    """The caller's access to the workspace; ``lock`` takes the workspace row
    lock so concurrent membership changes run one after another."""
    exists, role = await workspaces_repo.membership(db, workspace_id, principal.user_id, lock=lock)
    return access_of(principal, workspace_id, exists, role, manage=manage)


def access_of(
    principal: Principal,
    workspace_id: uuid.UUID,
    exists: bool,
    role: str | None,
    *,
    manage: bool = False,
) -> Access:
    """The rule, for a caller whose role was read with the workspace itself."""
    if not exists or (role is None and not principal.is_admin):
        raise NotFound("workspace")
    access = Access(workspace_id, role, principal.is_admin)
    if manage and not access.can_manage:
        raise Forbidden("this needs the owner or admin role in the workspace")
    return access

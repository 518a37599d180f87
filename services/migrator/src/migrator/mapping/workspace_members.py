"""``workspacemembers`` → ``core.workspace_members``.

Both references are required; an unknown ``role`` becomes ``member`` (least
privilege) and is noted. Two memberships of one workspace that end up on the
same user (after an email merge) cannot both exist: the second is rejected
by the load with the constraint it broke.
"""

from typing import Any, Final, get_args

from migrator.mapping.ejson import object_id
from migrator.mapping.rows import (
    MappedRow,
    Ref,
    created_and_updated,
    required,
    role_or_least_privilege,
    row_id,
)
from sendfx_shared.events.core import WorkspaceRole

ROLES: Final = frozenset(get_args(WorkspaceRole))


def map_workspace_member(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    workspace = required(object_id(document.get("workspaceId"), "workspaceId"), "workspaceId")
    user = required(object_id(document.get("userId"), "userId"), "userId")
    notes: list[str] = []
    role = role_or_least_privilege(document, ROLES, "member", notes)
    created_at, updated_at = created_and_updated(legacy_id, document)
    return MappedRow(
        collection="workspacemembers",
        legacy_id=legacy_id,
        id=row_id("workspacemembers", legacy_id),
        values={"role": role, "created_at": created_at, "updated_at": updated_at},
        refs={"workspace_id": Ref("workspaces", workspace), "user_id": Ref("users", user)},
        notes=tuple(notes),
    )

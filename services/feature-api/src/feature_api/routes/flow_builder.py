"""The flow builder: drafts and templates.

One set of routes, mounted twice: the global builder of the platform admins
under ``/api/admin/flow-drafts`` and ``/api/admin/flow-templates``
(CONTRACT.md), and each workspace's own under
``/api/workspaces/{wid}/flow-drafts|flow-templates``. Global templates are
readable by every signed-in user at ``/api/flow-templates``.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feature_api.models.flow_builder import FlowDraft, FlowDraftIn, FlowTemplate, PublishResult
from feature_api.routes.deps import Database
from feature_api.routes.problems_doc import ADMIN
from feature_api.services import flow_builder as builder
from feature_api.services.access import workspace_access
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal, Principal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["flow builder"], responses=ADMIN)
GLOBAL = None
Scope = str | None


async def _global_scope(admin: CurrentAdmin) -> tuple[Scope, Principal]:
    return GLOBAL, admin


async def _workspace_scope(
    workspace_id: uuid.UUID, database: Database, principal: CurrentPrincipal, request: Request
) -> tuple[Scope, Principal]:
    # Members read drafts and templates; writing them is configuration.
    manage = request.method not in ("GET", "HEAD")
    return await workspace_access(database.db, principal, workspace_id, manage=manage), principal


def _mount(prefix: str, resolve: Callable[..., Awaitable[tuple[Scope, Principal]]]) -> None:
    """The builder's routes under ``prefix``, scoped by ``resolve``."""
    In = Annotated[tuple[Scope, Principal], Depends(resolve)]
    drafts, templates = f"{prefix}/flow-drafts", f"{prefix}/flow-templates"

    @router.get(drafts)
    async def list_drafts(scoped: In, database: Database, page: Paging) -> Page[FlowDraft]:
        return await builder.list_drafts(database, scoped[0], page)

    @router.post(drafts, status_code=201)
    async def create_draft(scoped: In, body: FlowDraftIn, database: Database) -> FlowDraft:
        scope, principal = scoped
        return await builder.create_draft(database, scope, principal.user_id, body)

    @router.get(f"{drafts}/{{draft_id}}")
    async def get_draft(scoped: In, draft_id: str, database: Database) -> FlowDraft:
        return await builder.get_draft(database, scoped[0], draft_id)

    @router.put(f"{drafts}/{{draft_id}}")
    async def update_draft(
        scoped: In, draft_id: str, body: FlowDraftIn, database: Database
    ) -> FlowDraft:
        return await builder.update_draft(database, scoped[0], draft_id, body)

    @router.delete(f"{drafts}/{{draft_id}}", status_code=204)
    async def delete_draft(scoped: In, draft_id: str, database: Database) -> Response:
        await builder.delete_draft(database, scoped[0], draft_id)
        return Response(status_code=204)

    @router.post(f"{drafts}/{{draft_id}}/publish")
    async def publish_draft(scoped: In, draft_id: str, database: Database) -> PublishResult:
        return await builder.publish_draft(database, scoped[0], draft_id)

    @router.get(templates)
    async def list_templates(scoped: In, database: Database, page: Paging) -> Page[FlowTemplate]:
        return await builder.list_templates(database, scoped[0], page)

    @router.get(f"{templates}/{{template_id}}")
    async def get_template(scoped: In, template_id: str, database: Database) -> FlowTemplate:
        return await builder.get_template(database, scoped[0], template_id)


_mount("/api/admin", _global_scope)
_mount("/api/workspaces/{workspace_id}", _workspace_scope)


@router.get("/api/flow-templates")
async def list_global_templates(
    database: Database,
    principal: CurrentPrincipal,
    page: Paging,
) -> Page[FlowTemplate]:
    return await builder.list_templates(database, GLOBAL, page)


@router.get("/api/flow-templates/{template_id}")
async def get_global_template(
    template_id: str, database: Database, principal: CurrentPrincipal
) -> FlowTemplate:
    return await builder.get_template(database, GLOBAL, template_id)

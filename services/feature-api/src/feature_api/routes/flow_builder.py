"""The flow builder: drafts and templates.

Global (admin) builder under ``/api/admin/flow-drafts`` and
``/api/admin/flow-templates`` (CONTRACT.md); the same resources scoped to a
workspace under ``/api/workspaces/{wid}/flow-drafts|flow-templates``; and the
global templates readable by every signed-in user at ``/api/flow-templates``.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from feature_api.context import Ctx
from feature_api.models.flow_builder import FlowDraft, FlowDraftIn, FlowTemplate, PublishResult
from feature_api.routes.params import DEFAULT_PAGE, Cursor, Limit
from feature_api.routes.problems_doc import ADMIN
from feature_api.services import flow_builder as builder
from feature_api.services.access import require_workspace
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page

router = APIRouter(tags=["flow builder"], responses=ADMIN)
GLOBAL = None


async def _workspace_scope(workspace_id: uuid.UUID, ctx: Ctx, principal: CurrentPrincipal) -> str:
    return await require_workspace(ctx.store.db, principal, workspace_id)


WorkspaceScope = Annotated[str, Depends(_workspace_scope)]

# -- the global builder (admins) --------------------------------------------


@router.get("/api/admin/flow-drafts")
async def admin_list_drafts(
    ctx: Ctx, admin: CurrentAdmin, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> Page[FlowDraft]:
    return await builder.list_drafts(ctx.store, GLOBAL, cursor, limit)


@router.post("/api/admin/flow-drafts", status_code=201)
async def admin_create_draft(body: FlowDraftIn, ctx: Ctx, admin: CurrentAdmin) -> FlowDraft:
    return await builder.create_draft(ctx.store, GLOBAL, admin.user_id, body)


@router.get("/api/admin/flow-drafts/{draft_id}")
async def admin_get_draft(draft_id: str, ctx: Ctx, admin: CurrentAdmin) -> FlowDraft:
    return await builder.get_draft(ctx.store, GLOBAL, draft_id)


@router.put("/api/admin/flow-drafts/{draft_id}")
async def admin_update_draft(
    draft_id: str, body: FlowDraftIn, ctx: Ctx, admin: CurrentAdmin
) -> FlowDraft:
    return await builder.update_draft(ctx.store, GLOBAL, draft_id, body)


@router.delete("/api/admin/flow-drafts/{draft_id}", status_code=204)
async def admin_delete_draft(draft_id: str, ctx: Ctx, admin: CurrentAdmin) -> Response:
    await builder.delete_draft(ctx.store, GLOBAL, draft_id)
    return Response(status_code=204)


@router.post("/api/admin/flow-drafts/{draft_id}/publish")
async def admin_publish_draft(draft_id: str, ctx: Ctx, admin: CurrentAdmin) -> PublishResult:
    return await builder.publish_draft(ctx.store, GLOBAL, draft_id)


@router.get("/api/admin/flow-templates")
async def admin_list_templates(
    ctx: Ctx, admin: CurrentAdmin, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> Page[FlowTemplate]:
    return await builder.list_templates(ctx.store, GLOBAL, cursor, limit)


@router.get("/api/admin/flow-templates/{template_id}")
async def admin_get_template(template_id: str, ctx: Ctx, admin: CurrentAdmin) -> FlowTemplate:
    return await builder.get_template(ctx.store, GLOBAL, template_id)


# -- global templates, for every signed-in user ------------------------------


@router.get("/api/flow-templates")
async def list_global_templates(
    ctx: Ctx, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> Page[FlowTemplate]:
    return await builder.list_templates(ctx.store, GLOBAL, cursor, limit)


@router.get("/api/flow-templates/{template_id}")
async def get_global_template(
    template_id: str, ctx: Ctx, principal: CurrentPrincipal
) -> FlowTemplate:
    return await builder.get_template(ctx.store, GLOBAL, template_id)


# -- a workspace's own builder -------------------------------------------------


@router.get("/api/workspaces/{workspace_id}/flow-drafts")
async def list_drafts(
    scope: WorkspaceScope, ctx: Ctx, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> Page[FlowDraft]:
    return await builder.list_drafts(ctx.store, scope, cursor, limit)


@router.post("/api/workspaces/{workspace_id}/flow-drafts", status_code=201)
async def create_draft(
    scope: WorkspaceScope, body: FlowDraftIn, ctx: Ctx, principal: CurrentPrincipal
) -> FlowDraft:
    return await builder.create_draft(ctx.store, scope, principal.user_id, body)


@router.get("/api/workspaces/{workspace_id}/flow-drafts/{draft_id}")
async def get_draft(scope: WorkspaceScope, draft_id: str, ctx: Ctx) -> FlowDraft:
    return await builder.get_draft(ctx.store, scope, draft_id)


@router.put("/api/workspaces/{workspace_id}/flow-drafts/{draft_id}")
async def update_draft(
    scope: WorkspaceScope, draft_id: str, body: FlowDraftIn, ctx: Ctx
) -> FlowDraft:
    return await builder.update_draft(ctx.store, scope, draft_id, body)


@router.delete("/api/workspaces/{workspace_id}/flow-drafts/{draft_id}", status_code=204)
async def delete_draft(scope: WorkspaceScope, draft_id: str, ctx: Ctx) -> Response:
    await builder.delete_draft(ctx.store, scope, draft_id)
    return Response(status_code=204)


@router.post("/api/workspaces/{workspace_id}/flow-drafts/{draft_id}/publish")
async def publish_draft(scope: WorkspaceScope, draft_id: str, ctx: Ctx) -> PublishResult:
    return await builder.publish_draft(ctx.store, scope, draft_id)


@router.get("/api/workspaces/{workspace_id}/flow-templates")
async def list_templates(
    scope: WorkspaceScope, ctx: Ctx, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> Page[FlowTemplate]:
    return await builder.list_templates(ctx.store, scope, cursor, limit)


@router.get("/api/workspaces/{workspace_id}/flow-templates/{template_id}")
async def get_template(scope: WorkspaceScope, template_id: str, ctx: Ctx) -> FlowTemplate:
    return await builder.get_template(ctx.store, scope, template_id)

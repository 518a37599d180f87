"""Flows of a workspace: /api/workspaces/{wid}/flows and /api/flows/{id}."""

import uuid

from fastapi import APIRouter, Response

from feature_api.models.flows import Flow, FlowIn
from feature_api.routes.deps import Database
from feature_api.routes.problems_doc import SIGNED_IN
from feature_api.services import flows
from sendfx_shared.auth import CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["flows"], responses=SIGNED_IN)


@router.get("/api/workspaces/{workspace_id}/flows")
async def list_flows(
    workspace_id: uuid.UUID,
    database: Database,
    principal: CurrentPrincipal,
    page: Paging,
) -> Page[Flow]:
    return await flows.FLOWS.list(database, principal, workspace_id, page)


@router.post("/api/workspaces/{workspace_id}/flows", status_code=201)
async def create_flow(
    workspace_id: uuid.UUID, body: FlowIn, database: Database, principal: CurrentPrincipal
) -> Flow:
    return await flows.create_flow(database, principal, workspace_id, body)


@router.get("/api/flows/{flow_id}")
async def get_flow(flow_id: str, database: Database, principal: CurrentPrincipal) -> Flow:
    return await flows.FLOWS.get(database, principal, flow_id)


@router.put("/api/flows/{flow_id}")
async def update_flow(
    flow_id: str, body: FlowIn, database: Database, principal: CurrentPrincipal
) -> Flow:
    return await flows.update_flow(database, principal, flow_id, body)


@router.delete("/api/flows/{flow_id}", status_code=204)
async def delete_flow(flow_id: str, database: Database, principal: CurrentPrincipal) -> Response:
    await flows.FLOWS.delete(database, principal, flow_id)
    return Response(status_code=204)

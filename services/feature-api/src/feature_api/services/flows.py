"""Flows: a workspace's graphs of nodes and edges, validated on every write;
as many as the workspace's tier allows (``flows``), each below the size cap."""

import uuid

from feature_api.database import FeatureDatabase, new_record, now
from feature_api.models.bson_safe import check_document_size
from feature_api.models.flows import Flow, FlowIn
from feature_api.models.graph import check_graph
from feature_api.repositories import flows as repo
from feature_api.repositories import read_model
from feature_api.services.access import found, workspace_access
from feature_api.services.resources import WorkspaceResources
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe
from sendfx_shared.problems import ProblemError


def _changed(flow: Flow) -> fe.FlowChanged:
    return fe.FlowChanged(
        flow_id=flow.id,
        workspace_id=flow.workspace_id,
        name=flow.name,
        node_count=len(flow.nodes),
        edge_count=len(flow.edges),
        version=flow.version,
    )


FLOWS = WorkspaceResources("flow", repo.get, repo.list_page, repo.delete, fe.FLOW_DELETED, _changed)


async def create_flow(
    database: FeatureDatabase, principal: Principal, workspace_id: uuid.UUID, body: FlowIn
) -> Flow:
    wid = await workspace_access(database.db, principal, workspace_id, manage=True)
    check_graph(body.nodes, body.edges, require_start=True)
    check_document_size(body, "flow")
    limits = ((await read_model.workspace(database.db, wid)) or {}).get("limits") or {}
    limit = limits.get("flows")
    if limit is not None and await repo.count(database.db, wid) >= limit:
        raise ProblemError(
            409,
            f"the workspace's tier allows {limit} flows; delete one or move to a larger tier",
            kind="flows-limit-reached",
            title="Flows limit reached",
            extra={"limit": limit},
        )
    flow = new_record(
        Flow, **body.model_dump(), workspace_id=wid, version=1, created_by=principal.user_id
    )
    async for uow in database.units():
        async with uow:
            await repo.insert(uow, flow)
            uow.emit(fe.FLOW_CREATED, key=flow.id, data=_changed(flow))
    return flow


async def update_flow(
    database: FeatureDatabase, principal: Principal, flow_id: str, body: FlowIn
) -> Flow:
    await FLOWS.accessible(database, principal, flow_id, manage=True)
    check_graph(body.nodes, body.edges, require_start=True)
    check_document_size(body, "flow")
    async for uow in database.units():
        async with uow:
            updated = found(await repo.update(uow, flow_id, body, now()), "flow")
            uow.emit(fe.FLOW_UPDATED, key=flow_id, data=_changed(updated))
    return updated

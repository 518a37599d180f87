"""Flows: a workspace's graphs of nodes and edges, validated on every write."""

import uuid

from feature_api.events import announce
from feature_api.models.flows import Flow, FlowIn
from feature_api.models.graph import check_graph
from feature_api.repositories import flows as repo
from feature_api.repositories.paging import as_api
from feature_api.services.access import require_access_to, require_workspace
from feature_api.store import Document, Session, Store, new_id, now
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page
from sendfx_shared.problems import NotFound


def _announcement(flow: Document) -> fe.FlowChanged:
    return fe.FlowChanged(
        flow_id=flow["_id"],
        workspace_id=uuid.UUID(flow["workspace_id"]),
        name=flow["name"],
        node_count=len(flow["nodes"]),
        edge_count=len(flow["edges"]),
        version=flow["version"],
    )


async def create_flow(
    store: Store, principal: Principal, workspace_id: uuid.UUID, body: FlowIn
) -> Flow:
    wid = await require_workspace(store.db, principal, workspace_id)
    check_graph(body.nodes, body.edges, require_start=True)
    moment = now()
    flow: Document = {
        "_id": new_id(),
        "workspace_id": wid,
        **body.model_dump(mode="json"),
        "version": 1,
        "created_by": str(principal.user_id),
        "created_at": moment,
        "updated_at": moment,
    }

    async def write(session: Session) -> None:
        await repo.insert(store.db, flow, session)
        await announce(
            store, session, type=fe.FLOW_CREATED, key=flow["_id"], data=_announcement(flow)
        )

    await store.transaction(write)
    return Flow.model_validate(as_api(flow))


async def get_flow(store: Store, principal: Principal, flow_id: str) -> Flow:
    flow = await require_access_to(store.db, principal, await repo.get(store.db, flow_id), "flow")
    return Flow.model_validate(as_api(flow))


async def list_flows(
    store: Store, principal: Principal, workspace_id: uuid.UUID, cursor: str | None, limit: int
) -> Page[Flow]:
    wid = await require_workspace(store.db, principal, workspace_id)
    found, following = await repo.list_page(store.db, wid, cursor, limit)
    return Page[Flow](items=[Flow.model_validate(as_api(f)) for f in found], next_cursor=following)


async def update_flow(store: Store, principal: Principal, flow_id: str, body: FlowIn) -> Flow:
    await require_access_to(store.db, principal, await repo.get(store.db, flow_id), "flow")
    check_graph(body.nodes, body.edges, require_start=True)

    async def write(session: Session) -> Document:
        updated = await repo.update(
            store.db, flow_id, {**body.model_dump(mode="json"), "updated_at": now()}, session
        )
        if updated is None:
            raise NotFound("flow")
        await announce(
            store, session, type=fe.FLOW_UPDATED, key=flow_id, data=_announcement(updated)
        )
        return updated

    return Flow.model_validate(as_api(await store.transaction(write)))


async def delete_flow(store: Store, principal: Principal, flow_id: str) -> None:
    flow = await require_access_to(store.db, principal, await repo.get(store.db, flow_id), "flow")

    async def write(session: Session) -> None:
        if not await repo.delete(store.db, flow_id, session):
            raise NotFound("flow")
        await announce(store, session, type=fe.FLOW_DELETED, key=flow_id, data=_announcement(flow))

    await store.transaction(write)

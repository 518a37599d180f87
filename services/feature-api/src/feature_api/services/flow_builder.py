"""The flow builder: drafts, and the templates they are published to.

A scope is a workspace id, or ``None`` for the global builder the platform
admins use. Publishing a draft with no template creates one and binds the
draft to it; publishing a bound draft adds a version to its template. The
unique ``origin_draft_id`` of templates makes two concurrent first publishes
of one draft end with one template: the loser of the race gets E11000, and
its retry finds the template and publishes onto it.
"""

import uuid
from typing import Any

from pymongo.errors import DuplicateKeyError

from feature_api.events import announce
from feature_api.models.flow_builder import FlowDraft, FlowDraftIn, FlowTemplate, PublishResult
from feature_api.models.graph import FlowEdge, FlowNode, check_graph
from feature_api.repositories import flow_builder as repo
from feature_api.repositories.paging import as_api
from feature_api.store import Document, Session, Store, new_id, now
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page
from sendfx_shared.problems import Conflict, FieldError, NotFound, ProblemError

Scope = str | None
_PUBLISH_ATTEMPTS = 4


def _workspace(scope: Scope) -> uuid.UUID | None:
    return uuid.UUID(scope) if scope else None


def _draft_event(draft: Document) -> fe.FlowDraftChanged:
    return fe.FlowDraftChanged(
        draft_id=draft["_id"],
        workspace_id=_workspace(draft["workspace_id"]),
        name=draft["name"],
        template_id=draft.get("template_id"),
        version=draft["version"],
    )


def _template_event(template: Document, draft_id: str) -> fe.FlowTemplateChanged:
    return fe.FlowTemplateChanged(
        template_id=template["_id"],
        workspace_id=_workspace(template["workspace_id"]),
        name=template["name"],
        version=template["version"],
        draft_id=draft_id,
    )


async def _check_template_ref(store: Store, scope: Scope, template_id: str | None) -> None:
    if template_id is None:
        return
    if await repo.get_template(store.db, scope, template_id) is None:
        raise ProblemError(
            422,
            "the draft names a template that does not exist",
            kind="validation-error",
            title="Unprocessable Content",
            errors=[
                FieldError(field="templateId", message="no such template", type="unknown_template")
            ],
        )


async def list_drafts(
    store: Store, scope: Scope, cursor: str | None, limit: int
) -> Page[FlowDraft]:
    found, following = await repo.list_drafts(store.db, scope, cursor, limit)
    return Page[FlowDraft](
        items=[FlowDraft.model_validate(as_api(d)) for d in found], next_cursor=following
    )


async def create_draft(
    store: Store, scope: Scope, author: uuid.UUID, body: FlowDraftIn
) -> FlowDraft:
    # A draft is work in progress: it may lack its start node until publish.
    check_graph(body.nodes, body.edges, require_start=False)
    await _check_template_ref(store, scope, body.template_id)
    moment = now()
    draft: Document = {
        "_id": new_id(),
        "workspace_id": scope,
        **body.model_dump(mode="json"),
        "version": 1,
        "published_at": None,
        "published_version": None,
        "created_by": str(author),
        "created_at": moment,
        "updated_at": moment,
    }

    async def write(session: Session) -> None:
        await repo.insert_draft(store.db, draft, session)
        await announce(
            store, session, type=fe.FLOW_DRAFT_CREATED, key=draft["_id"], data=_draft_event(draft)
        )

    await store.transaction(write)
    return FlowDraft.model_validate(as_api(draft))


async def get_draft(store: Store, scope: Scope, draft_id: str) -> FlowDraft:
    draft = await repo.get_draft(store.db, scope, draft_id)
    if draft is None:
        raise NotFound("flow draft")
    return FlowDraft.model_validate(as_api(draft))


async def update_draft(store: Store, scope: Scope, draft_id: str, body: FlowDraftIn) -> FlowDraft:
    check_graph(body.nodes, body.edges, require_start=False)
    await _check_template_ref(store, scope, body.template_id)

    values = body.model_dump(mode="json")
    if "template_id" not in body.model_fields_set:
        # An edit that does not mention the template keeps the draft bound.
        del values["template_id"]

    async def write(session: Session) -> Document:
        draft = await repo.update_draft(
            store.db, scope, draft_id, {**values, "updated_at": now()}, session
        )
        if draft is None:
            raise NotFound("flow draft")
        await announce(
            store, session, type=fe.FLOW_DRAFT_UPDATED, key=draft_id, data=_draft_event(draft)
        )
        return draft

    return FlowDraft.model_validate(as_api(await store.transaction(write)))


async def delete_draft(store: Store, scope: Scope, draft_id: str) -> None:
    draft = await repo.get_draft(store.db, scope, draft_id)
    if draft is None:
        raise NotFound("flow draft")

    async def write(session: Session) -> None:
        if not await repo.delete_draft(store.db, scope, draft_id, session):
            raise NotFound("flow draft")
        await announce(
            store, session, type=fe.FLOW_DRAFT_DELETED, key=draft_id, data=_draft_event(draft)
        )

    await store.transaction(write)


async def publish_draft(store: Store, scope: Scope, draft_id: str) -> PublishResult:
    for _ in range(_PUBLISH_ATTEMPTS):
        try:
            return await store.transaction(lambda s: _publish(store, scope, draft_id, s))
        except DuplicateKeyError:
            continue  # a concurrent publish made the template: publish onto it
    raise Conflict("the draft is being published concurrently; try again")


async def _publish(store: Store, scope: Scope, draft_id: str, session: Session) -> PublishResult:
    draft = await repo.get_draft(store.db, scope, draft_id, session)
    if draft is None:
        raise NotFound("flow draft")
    nodes = [FlowNode.model_validate(n) for n in draft["nodes"]]
    edges = [FlowEdge.model_validate(e) for e in draft["edges"]]
    check_graph(nodes, edges, require_start=True)
    moment = now()
    graph: dict[str, Any] = {
        "name": draft["name"],
        "description": draft.get("description", ""),
        "nodes": draft["nodes"],
        "edges": draft["edges"],
        "updated_at": moment,
    }
    template_id = draft.get("template_id")
    if template_id is None:
        existing = await repo.template_of_draft(store.db, draft_id, session)
        template_id = existing["_id"] if existing else None
    created = template_id is None
    if template_id is None:
        template: Document = {
            "_id": new_id(),
            "workspace_id": scope,
            **graph,
            "version": 1,
            "origin_draft_id": draft_id,
            "created_at": moment,
        }
        await repo.insert_template(store.db, template, session)
    else:
        versioned = await repo.next_template_version(store.db, scope, template_id, graph, session)
        if versioned is None:
            raise Conflict("the template this draft is bound to no longer exists")
        template = versioned
    await repo.insert_template_version(
        store.db,
        {
            "_id": new_id(),
            "template_id": template["_id"],
            "version": template["version"],
            "nodes": template["nodes"],
            "edges": template["edges"],
            "draft_id": draft_id,
            "published_at": moment,
        },
        session,
    )
    bound = await repo.update_draft(
        store.db,
        scope,
        draft_id,
        {
            "template_id": template["_id"],
            "published_at": moment,
            "published_version": template["version"],
            "updated_at": moment,
        },
        session,
    )
    assert bound is not None
    await announce(
        store,
        session,
        type=fe.FLOW_TEMPLATE_CREATED if created else fe.FLOW_TEMPLATE_VERSION_PUBLISHED,
        key=template["_id"],
        data=_template_event(template, draft_id),
    )
    await announce(
        store, session, type=fe.FLOW_DRAFT_PUBLISHED, key=draft_id, data=_draft_event(bound)
    )
    return PublishResult(
        template=FlowTemplate.model_validate(as_api(template)),
        draft=FlowDraft.model_validate(as_api(bound)),
        created_template=created,
    )


async def list_templates(
    store: Store, scope: Scope, cursor: str | None, limit: int
) -> Page[FlowTemplate]:
    found, following = await repo.list_templates(store.db, scope, cursor, limit)
    return Page[FlowTemplate](
        items=[FlowTemplate.model_validate(as_api(t)) for t in found], next_cursor=following
    )


async def get_template(store: Store, scope: Scope, template_id: str) -> FlowTemplate:
    template = await repo.get_template(store.db, scope, template_id)
    if template is None:
        raise NotFound("flow template")
    return FlowTemplate.model_validate(as_api(template))

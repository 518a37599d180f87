"""The flow builder: drafts, and the templates they are published to.

A scope is a workspace id, or ``None`` for the global builder the platform
admins use. Publishing a draft with no template creates one and binds the
draft to it; publishing a bound draft adds a version to its template. The
unique ``origin_draft_id`` of templates makes two concurrent first publishes
of one draft end with one template: the loser of the race gets E11000, and
its retry finds the template and publishes onto it.
"""

import uuid

from pymongo.errors import DuplicateKeyError

from feature_api.database import FeatureDatabase, new_id, new_record, now
from feature_api.models.bson_safe import check_document_size
from feature_api.models.flow_builder import FlowDraft, FlowDraftIn, FlowTemplate, PublishResult
from feature_api.models.graph import check_graph
from feature_api.repositories import flow_builder as repo
from feature_api.services.access import deleted, found
from feature_api.unit_of_work import UnitOfWork
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import Conflict, FieldError, ProblemError

Scope = str | None
_PUBLISH_ATTEMPTS = 4


def _draft_changed(draft: FlowDraft) -> fe.FlowDraftChanged:
    return fe.FlowDraftChanged(
        draft_id=draft.id,
        workspace_id=draft.workspace_id,
        name=draft.name,
        template_id=draft.template_id,
        version=draft.version,
    )


def _template_changed(template: FlowTemplate, draft_id: str) -> fe.FlowTemplateChanged:
    return fe.FlowTemplateChanged(
        template_id=template.id,
        workspace_id=template.workspace_id,
        name=template.name,
        version=template.version,
        draft_id=draft_id,
    )


async def _check_template_ref(
    database: FeatureDatabase, scope: Scope, template_id: str | None
) -> None:
    if template_id is None:
        return
    if await repo.get_template(database.db, scope, template_id) is None:
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
    database: FeatureDatabase, scope: Scope, page: PageRequest
) -> Page[FlowDraft]:
    return await repo.list_drafts(database.db, scope, page.cursor, page.limit)


async def create_draft(
    database: FeatureDatabase, scope: Scope, author: uuid.UUID, body: FlowDraftIn
) -> FlowDraft:
    # A draft is work in progress: it may lack its start node until publish.
    check_graph(body.nodes, body.edges, require_start=False)
    check_document_size(body, "flow draft")
    await _check_template_ref(database, scope, body.template_id)
    draft = new_record(
        FlowDraft,
        **body.model_dump(),
        workspace_id=scope,
        version=1,
        published_at=None,
        published_version=None,
    )
    async for uow in database.units():
        async with uow:
            await repo.insert_draft(uow, draft, created_by=str(author))
            uow.emit(fe.FLOW_DRAFT_CREATED, key=draft.id, data=_draft_changed(draft))
    return draft


async def get_draft(database: FeatureDatabase, scope: Scope, draft_id: str) -> FlowDraft:
    return found(await repo.get_draft(database.db, scope, draft_id), "flow draft")


async def update_draft(
    database: FeatureDatabase, scope: Scope, draft_id: str, body: FlowDraftIn
) -> FlowDraft:
    check_graph(body.nodes, body.edges, require_start=False)
    check_document_size(body, "flow draft")
    await _check_template_ref(database, scope, body.template_id)
    async for uow in database.units():
        async with uow:
            edited = found(await repo.edit_draft(uow, scope, draft_id, body, now()), "flow draft")
            uow.emit(fe.FLOW_DRAFT_UPDATED, key=draft_id, data=_draft_changed(edited))
    return edited


async def delete_draft(database: FeatureDatabase, scope: Scope, draft_id: str) -> None:
    draft = await get_draft(database, scope, draft_id)
    async for uow in database.units():
        async with uow:
            deleted(await repo.delete_draft(uow, scope, draft_id), "flow draft")
            uow.emit(fe.FLOW_DRAFT_DELETED, key=draft_id, data=_draft_changed(draft))


async def publish_draft(database: FeatureDatabase, scope: Scope, draft_id: str) -> PublishResult:
    for _ in range(_PUBLISH_ATTEMPTS):
        try:
            async for uow in database.units():
                async with uow:
                    published = await _publish(uow, scope, draft_id)
        except DuplicateKeyError:
            continue  # a concurrent publish made the template: publish onto it
        return published
    raise Conflict("the draft is being published concurrently; try again")


async def _publish(uow: UnitOfWork, scope: Scope, draft_id: str) -> PublishResult:
    draft = found(await repo.draft_in(uow, scope, draft_id), "flow draft")
    check_graph(draft.nodes, draft.edges, require_start=True)
    moment = now()
    template_id = draft.template_id
    if template_id is None:
        existing = await repo.template_of_draft(uow, draft_id)
        template_id = existing.id if existing else None
    created = template_id is None
    if template_id is None:
        template = FlowTemplate(
            id=new_id(),
            workspace_id=draft.workspace_id,
            name=draft.name,
            description=draft.description,
            nodes=draft.nodes,
            edges=draft.edges,
            version=1,
            origin_draft_id=draft_id,
            created_at=moment,
            updated_at=moment,
        )
        await repo.insert_template(uow, template)
    else:
        versioned = await repo.next_template_version(uow, scope, template_id, draft, moment)
        if versioned is None:
            raise Conflict("the template this draft is bound to no longer exists")
        template = versioned
    await repo.insert_template_version(uow, template, draft_id, moment)
    bound = await repo.bind_draft(uow, scope, draft_id, template, moment)
    assert bound is not None
    uow.emit(
        fe.FLOW_TEMPLATE_CREATED if created else fe.FLOW_TEMPLATE_VERSION_PUBLISHED,
        key=template.id,
        data=_template_changed(template, draft_id),
    )
    uow.emit(fe.FLOW_DRAFT_PUBLISHED, key=draft_id, data=_draft_changed(bound))
    return PublishResult(template=template, draft=bound, created_template=created)


async def list_templates(
    database: FeatureDatabase, scope: Scope, page: PageRequest
) -> Page[FlowTemplate]:
    return await repo.list_templates(database.db, scope, page.cursor, page.limit)


async def get_template(database: FeatureDatabase, scope: Scope, template_id: str) -> FlowTemplate:
    return found(await repo.get_template(database.db, scope, template_id), "flow template")

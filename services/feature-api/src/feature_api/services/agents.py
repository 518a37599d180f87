"""AI agent: run one node of a flow, calling the model with the tools the
node declares. The model's tool calls are returned to the caller (who owns
the tools); the run is kept in ``agent_runs``."""

from pydantic import ValidationError

from feature_api.context import AppContext
from feature_api.models.ai import AgentNodeConfig, AgentRunIn, AgentRunOut, AgentToolCall
from feature_api.openai_client import ModelReply, Tools
from feature_api.repositories import ai_records
from feature_api.repositories import flows as flows_repo
from feature_api.repositories.paging import as_api
from feature_api.services.access import require_workspace
from feature_api.services.model_calls import call_model, usage_out
from feature_api.store import Document, Session, new_id, now
from sendfx_shared.auth import Principal
from sendfx_shared.problems import NotFound, ProblemError, field_errors

AGENT_NODE_TYPE = "agent"


def node_config(node: Document) -> AgentNodeConfig:
    try:
        return AgentNodeConfig.model_validate(node.get("data") or {})
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        for error in errors:
            error.field = f"node.data.{error.field}"
        raise ProblemError(
            422,
            "the node's agent configuration is not valid",
            kind="validation-error",
            title="Unprocessable Content",
            errors=errors,
        ) from exc


def openai_tools(config: AgentNodeConfig) -> Tools:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in config.tools
    ]


async def run_agent(
    ctx: AppContext, principal: Principal, workspace_id: str, body: AgentRunIn
) -> AgentRunOut:
    store = ctx.store
    wid = await require_workspace(store.db, principal, workspace_id)
    flow = await flows_repo.get(store.db, body.flow_id)
    if flow is None or flow["workspace_id"] != wid:
        raise NotFound("flow")
    node = next((n for n in flow["nodes"] if n["id"] == body.node_id), None)
    if node is None:
        raise NotFound("flow node")
    if node["type"] != AGENT_NODE_TYPE:
        raise ProblemError(
            422,
            f"node {body.node_id!r} is a {node['type']!r} node; only {AGENT_NODE_TYPE!r} nodes run",
            kind="not-an-agent-node",
        )
    config = node_config(node)
    messages = [
        {"role": "system", "content": config.instructions},
        {"role": "user", "content": body.input},
    ]

    async def persist(session: Session, reply: ModelReply) -> Document:
        run: Document = {
            "_id": new_id(),
            "workspace_id": wid,
            "flow_id": body.flow_id,
            "node_id": body.node_id,
            "input": body.input,
            "output": reply.content,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.parsed_arguments()}
                for c in reply.tool_calls
            ],
            "usage": usage_out(reply).model_dump(),
            "user_id": str(principal.user_id),
            "created_at": now(),
        }
        await ai_records.insert_agent_run(store.db, run, session)
        return run

    run = await call_model(
        ctx,
        workspace_id=wid,
        user_id=principal.user_id,
        service="ai_agent",
        messages=messages,
        persist=persist,
        tools=openai_tools(config) or None,
        model=config.model,
        stream=body.stream,
    )
    shown = as_api(run)
    shown["tool_calls"] = [AgentToolCall.model_validate(c) for c in run["tool_calls"]]
    return AgentRunOut.model_validate(shown)

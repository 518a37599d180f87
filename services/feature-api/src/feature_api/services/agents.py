"""AI agent: run one node of a flow, calling the model with the tools the
node declares. The model's tool calls are returned to the caller (who owns
the tools); the run is kept in ``agent_runs``."""

from pydantic import ValidationError

from feature_api.context import AppContext
from feature_api.database import new_id, now
from feature_api.models.ai import AgentNodeConfig, AgentRunIn, AgentRunOut, AgentToolCall
from feature_api.models.graph import FlowNode
from feature_api.openai_client import Tools
from feature_api.repositories import ai_records
from feature_api.repositories import flows as flows_repo
from feature_api.services.access import found, workspace_access
from feature_api.services.model_calls import call_model
from sendfx_shared.auth import Principal
from sendfx_shared.problems import NotFound, ProblemError, field_errors

AGENT_NODE_TYPE = "agent"


def node_config(node: FlowNode) -> AgentNodeConfig:
    try:
        return AgentNodeConfig.model_validate(node.data or {})
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
    wid = await workspace_access(ctx.database.db, principal, workspace_id)
    flow = await flows_repo.get(ctx.database.db, body.flow_id)
    if flow is None or str(flow.workspace_id) != wid:
        raise NotFound("flow")
    node = found(next((n for n in flow.nodes if n.id == body.node_id), None), "flow node")
    if node.type != AGENT_NODE_TYPE:
        raise ProblemError(
            422,
            f"node {body.node_id!r} is a {node.type!r} node; only {AGENT_NODE_TYPE!r} nodes run",
            kind="not-an-agent-node",
        )
    config = node_config(node)
    messages = [
        {"role": "system", "content": config.instructions},
        {"role": "user", "content": body.input},
    ]
    call = await call_model(
        ctx,
        workspace_id=wid,
        user_id=principal.user_id,
        service="ai_agent",
        messages=messages,
        tools=openai_tools(config) or None,
        model=config.model,
        stream=body.stream,
    )
    run = AgentRunOut(
        id=new_id(),
        workspace_id=flow.workspace_id,
        flow_id=body.flow_id,
        node_id=body.node_id,
        output=call.reply.content,
        tool_calls=[
            AgentToolCall(id=c.id, name=c.name, arguments=c.parsed_arguments())
            for c in call.reply.tool_calls
        ],
        usage=call.usage,
        created_at=now(),
    )
    async for uow in ctx.database.units():
        async with uow:
            await ai_records.insert_agent_run(uow, run, input=body.input, user_id=principal.user_id)
            call.record_usage(uow)
    return run

"""The flow graph (nodes and edges) shared by flows, drafts and templates,
and its validation into field errors the UI can show one by one."""

from collections import Counter
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from feature_api.models.bson_safe import BsonSafeDict
from sendfx_shared.problems import FieldError, ProblemError

START_NODE_TYPE = "start"
CoordinateName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]
MAX_NODES = 500
MAX_EDGES = 2000


class FlowNode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=64)
    data: BsonSafeDict = Field(default_factory=dict)
    position: dict[CoordinateName, float] | None = None


class FlowEdge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=100)
    source: str = Field(min_length=1, max_length=100)
    target: str = Field(min_length=1, max_length=100)
    label: str | None = Field(default=None, max_length=200)


def graph_errors(
    nodes: list[FlowNode], edges: list[FlowEdge], *, require_start: bool = True
) -> list[FieldError]:
    errors: list[FieldError] = []
    counts = Counter(node.id for node in nodes)
    seen: set[str] = set()
    for index, node in enumerate(nodes):
        if counts[node.id] > 1 and node.id in seen:
            errors.append(
                FieldError(
                    field=f"nodes.{index}.id",
                    message=f"node id {node.id!r} is used by another node",
                    type="duplicate_node_id",
                )
            )
        seen.add(node.id)
    for index, edge in enumerate(edges):
        for end in ("source", "target"):
            node_id = getattr(edge, end)
            if node_id not in counts:
                errors.append(
                    FieldError(
                        field=f"edges.{index}.{end}",
                        message=f"no node has the id {node_id!r}",
                        type="unknown_node",
                    )
                )
    starts = [i for i, node in enumerate(nodes) if node.type == START_NODE_TYPE]
    if require_start and len(starts) != 1:
        errors.append(
            FieldError(
                field="nodes",
                message=(
                    "a flow needs exactly one start node"
                    if not starts
                    else f"a flow has exactly one start node, found {len(starts)}"
                ),
                type="start_node_count",
            )
        )
    return errors


def check_graph(nodes: list[FlowNode], edges: list[FlowEdge], *, require_start: bool) -> None:
    errors = graph_errors(nodes, edges, require_start=require_start)
    if errors:
        raise ProblemError(
            422,
            "the flow graph is not valid; see errors",
            kind="validation-error",
            title="Unprocessable Content",
            errors=errors,
        )

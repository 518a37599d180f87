"""Flow graph validation, over arbitrary graphs."""

from hypothesis import given
from hypothesis import strategies as st

from feature_api.models.graph import FlowEdge, FlowNode, graph_errors

ids = st.sampled_from(["a", "b", "c", "d", "e"])
nodes = st.lists(
    st.builds(FlowNode, id=ids, type=st.sampled_from(["start", "message", "agent"])), max_size=6
)
edges = st.lists(st.builds(FlowEdge, source=ids, target=ids), max_size=6)


@given(nodes=nodes, edges=edges)
def test_a_graph_is_valid_exactly_when_the_three_rules_hold(
    nodes: list[FlowNode], edges: list[FlowEdge]
) -> None:
    node_ids = [n.id for n in nodes]
    unique = len(set(node_ids)) == len(node_ids)
    connected = all(e.source in node_ids and e.target in node_ids for e in edges)
    one_start = sum(n.type == "start" for n in nodes) == 1
    errors = graph_errors(nodes, edges, require_start=True)
    assert (not errors) == (unique and connected and one_start)
    # every error names a field the UI can point at
    assert all(e.field.startswith(("nodes", "edges")) for e in errors)


@given(nodes=nodes, edges=edges)
def test_drafts_may_lack_their_start_node(nodes: list[FlowNode], edges: list[FlowEdge]) -> None:
    errors = graph_errors(nodes, edges, require_start=False)
    assert all(e.type != "start_node_count" for e in errors)

"""``sendfx-dev logs`` shows the services' JSON lines as readable text."""

import io
import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from sendfx_dev.logview import readable
from sendfx_shared.observability.logs import LogContext, json_formatter
from sendfx_shared.problems import current_request_id

messages = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=80)


def _json_line(message: str, request_id: str | None) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(LogContext("core-api"))
    logger = logging.getLogger(f"logview-{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    token = current_request_id.set(request_id)
    try:
        logger.warning("%s", message)
    finally:
        current_request_id.reset(token)
        logger.removeHandler(handler)
    return stream.getvalue().strip()


@given(message=messages, request_id=st.none() | st.from_regex(r"[A-Za-z0-9]{8}", fullmatch=True))
def test_a_json_log_line_reads_as_level_logger_message_and_its_ids(
    message: str, request_id: str | None
) -> None:
    line = _json_line(message, request_id)
    record = json.loads(line)  # the service wrote one JSON object
    assert record["level"] == "WARNING" and record["message"] == message
    assert record["service"] == "core-api" and record.get("request_id") == request_id
    shown = readable(line)
    assert "WARNING" in shown and message in shown and not shown.startswith("{")
    assert (f"req={request_id}" in shown) == (request_id is not None)


@given(line=st.text(max_size=80).filter(lambda t: "\n" not in t))
def test_a_line_that_is_not_a_json_record_is_shown_unchanged(line: str) -> None:
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not (isinstance(record, dict) and "message" in record):
        assert readable(line) == line

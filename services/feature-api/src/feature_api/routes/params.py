"""Query parameters every list route shares."""

from typing import Annotated

from fastapi import Query

from sendfx_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
DEFAULT_PAGE = DEFAULT_LIMIT

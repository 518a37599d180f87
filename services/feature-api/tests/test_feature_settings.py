"""UI settings (the global theme) and the admin log settings."""

import logging
from typing import Any

import httpx

THEME = {
    "theme_name": "midnight",
    "mode": "dark",
    "colours": {"primary": "#112233", "background": "#000"},
    "fonts": {"body": "Inter", "base_size_px": 15},
    "flags": {"newInbox": True},
}


async def test_ui_settings_read_publicly_and_upsert(
    http: httpx.AsyncClient, authorize: Any, admin: Any
) -> None:
    before = await http.get("/api/ui-settings")
    assert before.status_code == 200 and before.json()["key"] == "global"
    assert (await http.put("/api/ui-settings", json=THEME)).status_code == 401
    user = authorize()
    # A tenant may not change every tenant's theme (CONTRACT.md: admin role).
    refused = await http.put("/api/ui-settings", json=THEME, headers=user.headers)
    assert refused.status_code == 403
    saved = await http.put("/api/ui-settings", json=THEME, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    after = await http.get("/api/ui-settings")
    assert after.json()["theme_name"] == "midnight"
    assert after.json()["colours"]["primary"] == "#112233"
    assert after.json()["flags"] == {"newInbox": True}
    # the admin route reads and writes the same document
    seen = await http.get("/api/admin/ui-settings", headers=admin.headers)
    assert seen.json()["theme_name"] == "midnight"
    changed = await http.put(
        "/api/admin/ui-settings", json={**THEME, "theme_name": "dawn"}, headers=admin.headers
    )
    assert changed.status_code == 200
    assert (await http.get("/api/ui-settings")).json()["theme_name"] == "dawn"
    assert (await http.get("/api/admin/ui-settings", headers=user.headers)).status_code == 403


async def test_ui_settings_are_validated_field_by_field(
    http: httpx.AsyncClient, admin: Any
) -> None:
    response = await http.put(
        "/api/admin/ui-settings",
        json={"colours": {"primary": "red"}, "fonts": {"base_size_px": 99}, "mode": "neon"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"colours.primary", "fonts.base_size_px", "mode"}


async def test_log_settings_are_admin_only_and_take_effect(
    http: httpx.AsyncClient, admin: Any, authorize: Any
) -> None:
    user = authorize()
    assert (await http.get("/api/admin/log-settings", headers=user.headers)).status_code == 403
    assert (await http.get("/api/admin/log-settings")).status_code == 401
    default = await http.get("/api/admin/log-settings", headers=admin.headers)
    assert default.status_code == 200 and default.json()["key"] == "global"
    saved = await http.put(
        "/api/admin/log-settings",
        json={"level": "WARNING", "loggers": {"feature_api.projection": "DEBUG"}},
        headers=admin.headers,
    )
    assert saved.status_code == 200
    assert saved.json()["updated_by"] == str(admin.user_id)
    assert logging.getLogger("feature_api").level == logging.WARNING
    assert logging.getLogger("feature_api.projection").level == logging.DEBUG
    bad = await http.put("/api/admin/log-settings", json={"level": "LOUD"}, headers=admin.headers)
    assert bad.status_code == 422
    assert (
        await http.put("/api/admin/log-settings", json={"level": "INFO"}, headers=user.headers)
    ).status_code == 403
    restored = await http.put(
        "/api/admin/log-settings", json={"level": "INFO"}, headers=admin.headers
    )
    assert restored.json()["loggers"] == {}

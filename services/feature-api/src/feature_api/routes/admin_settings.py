"""Global UI settings (``/api/ui-settings``: GET public, PUT admin-only, as it
changes every tenant's theme; ``/api/admin/ui-settings`` for admins) and the admin-only log settings
(``/api/admin/log-settings``)."""

from fastapi import APIRouter

from feature_api.models.settings_docs import LogSettings, LogSettingsIn, UiSettings, UiSettingsIn
from feature_api.routes.deps import Database
from feature_api.routes.problems_doc import ADMIN
from feature_api.services import settings_docs
from sendfx_shared.auth import CurrentAdmin

router = APIRouter(tags=["settings"], responses=ADMIN)


@router.get("/api/ui-settings")
async def get_ui_settings(database: Database) -> UiSettings:
    return await settings_docs.get_ui_settings(database)


@router.put("/api/ui-settings")
async def put_ui_settings(
    body: UiSettingsIn, database: Database, admin: CurrentAdmin
) -> UiSettings:
    return await settings_docs.put_ui_settings(database, body)


@router.get("/api/admin/ui-settings")
async def admin_get_ui_settings(database: Database, admin: CurrentAdmin) -> UiSettings:
    return await settings_docs.get_ui_settings(database)


@router.put("/api/admin/ui-settings")
async def admin_put_ui_settings(
    body: UiSettingsIn, database: Database, admin: CurrentAdmin
) -> UiSettings:
    return await settings_docs.put_ui_settings(database, body)


@router.get("/api/admin/log-settings")
async def get_log_settings(database: Database, admin: CurrentAdmin) -> LogSettings:
    return await settings_docs.get_log_settings(database)


@router.put("/api/admin/log-settings")
async def put_log_settings(
    body: LogSettingsIn, database: Database, admin: CurrentAdmin
) -> LogSettings:
    return await settings_docs.put_log_settings(database, admin, body)

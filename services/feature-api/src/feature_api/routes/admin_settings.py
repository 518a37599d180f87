"""Global UI settings (``/api/ui-settings``: GET public, PUT admin-only, as it
changes every tenant's theme; ``/api/admin/ui-settings`` for admins) and the admin-only log settings
(``/api/admin/log-settings``)."""

from fastapi import APIRouter, Depends

from feature_api.models.settings_docs import LogSettings, LogSettingsIn, UiSettings, UiSettingsIn
from feature_api.routes.deps import Database
from feature_api.routes.problems_doc import ADMIN
from feature_api.services import settings_docs
from sendfx_shared.auth import CurrentAdmin, current_admin

router = APIRouter(tags=["settings"], responses=ADMIN)


@router.get("/api/ui-settings")
async def get_ui_settings(database: Database) -> UiSettings:
    return await settings_docs.get_ui_settings(database)


@router.put("/api/ui-settings")
async def put_ui_settings(
    body: UiSettingsIn, database: Database, admin: CurrentAdmin
) -> UiSettings:
    return await settings_docs.put_ui_settings(database, body)


# The admin console's paths: the same handlers, the read behind the admin role.
router.add_api_route(
    "/api/admin/ui-settings",
    get_ui_settings,
    methods=["GET"],
    name="admin_get_ui_settings",
    dependencies=[Depends(current_admin)],
)
router.add_api_route(
    "/api/admin/ui-settings", put_ui_settings, methods=["PUT"], name="admin_put_ui_settings"
)


@router.get("/api/admin/log-settings")
async def get_log_settings(database: Database, admin: CurrentAdmin) -> LogSettings:
    return await settings_docs.get_log_settings(database)


@router.put("/api/admin/log-settings")
async def put_log_settings(
    body: LogSettingsIn, database: Database, admin: CurrentAdmin
) -> LogSettings:
    return await settings_docs.put_log_settings(database, admin, body)

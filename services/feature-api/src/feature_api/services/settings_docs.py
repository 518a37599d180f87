"""The global UI theme and the admin log settings."""

import logging

from feature_api.models.settings_docs import LogSettings, LogSettingsIn, UiSettings, UiSettingsIn
from feature_api.repositories import settings_docs as repo
from feature_api.store import LOG_SETTINGS, UI_SETTINGS, Store, now
from sendfx_shared.auth import Principal

_ROOT_LOGGER = "feature_api"


async def get_ui_settings(store: Store) -> UiSettings:
    """The stored theme, or the defaults while none was saved."""
    saved = await repo.get(store.db, UI_SETTINGS)
    return UiSettings.model_validate(saved or {})


async def put_ui_settings(store: Store, body: UiSettingsIn) -> UiSettings:
    # A PUT replaces the theme as a whole: every field is written.
    saved = await repo.upsert(store.db, UI_SETTINGS, {**body.model_dump(), "updated_at": now()})
    return UiSettings.model_validate(saved)


async def get_log_settings(store: Store) -> LogSettings:
    saved = await repo.get(store.db, LOG_SETTINGS)
    return LogSettings.model_validate(saved or {})


async def put_log_settings(store: Store, admin: Principal, body: LogSettingsIn) -> LogSettings:
    saved = await repo.upsert(
        store.db,
        LOG_SETTINGS,
        {**body.model_dump(), "updated_at": now(), "updated_by": str(admin.user_id)},
    )
    settings = LogSettings.model_validate(saved)
    apply_log_settings(settings)
    return settings


def apply_log_settings(settings: LogSettings) -> None:
    """Take the levels into effect in this process at once."""
    logging.getLogger(_ROOT_LOGGER).setLevel(settings.level)
    for name, level in settings.loggers.items():
        logging.getLogger(name).setLevel(level)

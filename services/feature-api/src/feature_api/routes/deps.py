"""What a route reaches, one dependency each (as in core-api's
``routes/deps.py``): the feature database, the settings, and for the AI
routes the context a model call needs."""

from typing import Annotated

from fastapi import Depends, Request

from feature_api.context import AppContext
from feature_api.database import FeatureDatabase
from feature_api.settings import FeatureSettings


def _context(request: Request) -> AppContext:
    context = getattr(request.app.state, "context", None)
    if not isinstance(context, AppContext):
        raise RuntimeError("the app has not started: app.state.context is missing")
    return context


def _database(request: Request) -> FeatureDatabase:
    return _context(request).database


def _settings(request: Request) -> FeatureSettings:
    return _context(request).settings


Database = Annotated[FeatureDatabase, Depends(_database)]
Settings = Annotated[FeatureSettings, Depends(_settings)]
AiContext = Annotated[AppContext, Depends(_context)]

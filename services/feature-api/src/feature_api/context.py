"""What a request handler reaches: settings, the feature database, the OpenAI client."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from feature_api.database import FeatureDatabase
from feature_api.openai_client import OpenAIClient
from feature_api.settings import FeatureSettings


@dataclass
class AppContext:
    settings: FeatureSettings
    database: FeatureDatabase
    openai: OpenAIClient


def _context(request: Request) -> AppContext:
    context = getattr(request.app.state, "context", None)
    if not isinstance(context, AppContext):
        raise RuntimeError("the app has not started: app.state.context is missing")
    return context


Ctx = Annotated[AppContext, Depends(_context)]

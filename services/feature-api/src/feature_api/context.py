"""What a model call needs: the settings, the feature database and the
OpenAI client (``app.state.context``; routes reach it through
``routes/deps.py``)."""

from dataclasses import dataclass

from feature_api.database import FeatureDatabase
from feature_api.openai_client import OpenAIClient
from feature_api.settings import FeatureSettings


@dataclass
class AppContext:
    settings: FeatureSettings
    database: FeatureDatabase
    openai: OpenAIClient

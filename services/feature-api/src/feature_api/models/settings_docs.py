"""HTTP bodies of the global UI settings (theme) and the admin log settings."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

_HEX = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
FlagName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]


class ThemeColours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str = Field(default="#4f46e5", pattern=_HEX)
    secondary: str = Field(default="#0ea5e9", pattern=_HEX)
    background: str = Field(default="#ffffff", pattern=_HEX)
    surface: str = Field(default="#f8fafc", pattern=_HEX)
    text: str = Field(default="#0f172a", pattern=_HEX)
    accent: str = Field(default="#f59e0b", pattern=_HEX)


class ThemeFonts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(default="Inter", min_length=1, max_length=100)
    heading: str = Field(default="Inter", min_length=1, max_length=100)
    mono: str = Field(default="JetBrains Mono", min_length=1, max_length=100)
    base_size_px: int = Field(default=16, ge=10, le=24)


class UiSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme_name: str = Field(default="default", min_length=1, max_length=64)
    mode: Literal["light", "dark", "system"] = "system"
    colours: ThemeColours = Field(default_factory=ThemeColours)
    fonts: ThemeFonts = Field(default_factory=ThemeFonts)
    flags: dict[FlagName, bool] = Field(default_factory=dict, max_length=100)
    logo_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")


class UiSettings(UiSettingsIn):
    model_config = ConfigDict(extra="ignore")

    key: Literal["global"] = "global"
    updated_at: datetime | None = None


LoggerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LogSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: LogLevel = "INFO"
    loggers: dict[LoggerName, LogLevel] = Field(default_factory=dict, max_length=50)
    log_requests: bool = True
    redact_prompts: bool = True
    retention_days: int = Field(default=30, ge=1, le=365)


class LogSettings(LogSettingsIn):
    model_config = ConfigDict(extra="ignore")

    key: Literal["global"] = "global"
    updated_at: datetime | None = None
    updated_by: str | None = None

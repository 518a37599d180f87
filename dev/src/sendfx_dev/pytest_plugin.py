"""The pytest plugin's former name: ``-p sendfx_dev.pytest_plugin`` and
``from sendfx_dev.pytest_plugin import TestInfra`` keep working. The plugin
is ``sendfx_dev.testing.plugin``."""

from sendfx_dev.testing.plugin import *  # noqa: F403
from sendfx_dev.testing.plugin import TestInfra

__all__ = ["TestInfra"]

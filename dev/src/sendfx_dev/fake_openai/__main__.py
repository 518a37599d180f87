"""``python -m sendfx_dev.fake_openai``: the same as ``fake-openai``."""

from sendfx_dev.fake_openai.serve import run

run()

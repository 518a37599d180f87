"""A local stand-in for OpenAI's Chat Completions API, for runs and tests.

It speaks the wire protocol the real ``openai`` client expects
(``POST /v1/chat/completions``, streamed or not) and answers at once with a
deterministic reply, so token counts can be asserted exactly:

- prompt tokens: for every message, the number of whitespace-separated words
  of its content plus 4 (role and framing), plus the words of the tool
  declarations, plus 3 for priming the reply;
- the reply is ``"Echo: <last user message>"`` (capped at 64 words, the
  ``[[...]]`` markers removed); completion tokens are its words, one per
  streamed content chunk; ``max_completion_tokens`` (or ``max_tokens``) cuts
  the reply to that many words, as OpenAI caps a completion;
- tool calls: when tools are given (and ``tool_choice`` is not ``"none"``) and
  the last message is the user's and it names a tool (or says "use tool", or
  ``tool_choice`` demands one), the reply calls that tool with arguments made
  from its JSON schema.

Faults and knobs, by header or by a marker anywhere in the last user message
(markers let a test reach through a service that builds the request itself):

- ``x-fake-fault: cut-stream`` / ``[[fault:cut-stream]]``: a stream that stops
  after a few content chunks, before the usage chunk and ``[DONE]``;
- ``stall-stream`` or ``stall-stream:<seconds>``: a stream that goes silent
  after a few content chunks (default 30 s), for read timeouts mid-stream;
- ``error-500``, ``error-503``, ``error-429``, ``error-400``: that HTTP error
  with OpenAI's error body;
- ``flaky-500`` / ``flaky-429``: the first request carrying that fault and the
  same ``x-fake-fault-key`` (or marker text) fails, later ones succeed;
- ``slow`` or ``slow:<seconds>``: wait (default 30 s) before answering;
- ``x-fake-cached-tokens: N`` / ``[[cached:N]]``: report N cached prompt tokens
  (capped at the prompt tokens); ``x-fake-reasoning-tokens: N`` /
  ``[[reasoning:N]]``: N reasoning tokens, added to the completion tokens;
  ``x-fake-cache-write-tokens`` / ``[[cache_write:N]]``: N prompt tokens
  written to the cache (``prompt_tokens_details.cache_write_tokens``);
  ``x-fake-audio-prompt-tokens`` / ``[[audio_in:N]]`` and
  ``x-fake-audio-completion-tokens`` / ``[[audio_out:N]]``: audio tokens,
  added to the prompt / completion tokens (``…_tokens_details.audio_tokens``);
- ``service_tier``: every response names the tier that served it: the
  requested ``service_tier`` (``auto`` or none: ``default``), or the one
  ``x-fake-served-tier: T`` / ``[[served_tier:T]]`` says, so a served tier
  that differs from the requested one can be tested.

``GET /_fake/stats`` counts requests (all and by fault), for retry tests.
"""

from sendfx_dev.fake_openai.app import create_app
from sendfx_dev.fake_openai.serve import ThreadedFakeOpenAI, run

__all__ = ["ThreadedFakeOpenAI", "create_app", "run"]

"""The admission arithmetic, for any limits, budgets, prompts and any
interleaving of concurrent calls: what is admitted never exceeds the limit,
and a call is refused only when the budget really cannot cover it."""

from hypothesis import given
from hypothesis import strategies as st

from feature_api.services.spend import admitted_max_tokens

tokens = st.integers(min_value=0, max_value=10**7)
positive = st.integers(min_value=1, max_value=10**5)


@given(limit=tokens, committed=tokens, prompt=tokens, max_completion=positive, least=positive)
def test_an_admitted_call_fits_the_budget_and_a_refused_one_could_not(
    limit: int, committed: int, prompt: int, max_completion: int, least: int
) -> None:
    max_tokens = admitted_max_tokens(limit, committed, prompt, max_completion, least)
    least = min(least, max_completion)
    if max_tokens is None:
        assert committed + prompt + least > limit
    else:
        assert least <= max_tokens <= max_completion
        assert committed + prompt + max_tokens <= limit
        # Never capped more than the budget requires.
        assert max_tokens == max_completion or committed + prompt + max_tokens == limit


@given(prompt=tokens, max_completion=positive, least=positive)
def test_no_limit_admits_with_the_configured_maximum(
    prompt: int, max_completion: int, least: int
) -> None:
    assert admitted_max_tokens(None, 10**9, prompt, max_completion, least) == max_completion


# One step of many calls sharing a workspace: ("start", prompt, real prompt
# error, completion wanted) or ("end", index of a running call).
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("start"),
            st.integers(0, 400),
            st.integers(0, 50),
            st.integers(0, 2000),
        ),
        st.tuples(st.just("end"), st.integers(0, 1000)),
    ),
    max_size=60,
)


@given(limit=st.integers(0, 5000), max_completion=positive, least=positive, plan=steps)
def test_interleaved_reservations_never_overrun_the_limit_beyond_the_estimate_error(
    limit: int, max_completion: int, least: int, plan: list[tuple[int | str, ...]]
) -> None:
    committed = used = 0
    running: list[tuple[int, int]] = []  # (reserved, real usage)
    error_allowed = 0
    for step in plan:
        if step[0] == "start":
            _, prompt, underestimate, wanted = step
            assert isinstance(prompt, int) and isinstance(underestimate, int)
            assert isinstance(wanted, int)
            max_tokens = admitted_max_tokens(limit, committed, prompt, max_completion, least)
            if max_tokens is None:
                continue
            need = prompt + max_tokens
            # The ledger's conditional update: reserve only within the limit.
            assert committed + need <= limit
            committed += need
            # The model answers at most max_tokens; the real prompt may be
            # larger than estimated by ``underestimate``.
            real = prompt + underestimate + min(wanted, max_tokens)
            error_allowed += underestimate
            running.append((need, real))
        elif running:
            index = step[1]
            assert isinstance(index, int)
            reserved, real = running.pop(index % len(running))
            committed += real - reserved
            used += real
    for reserved, real in running:
        committed += real - reserved
        used += real
    assert used == committed
    assert used <= limit + error_allowed

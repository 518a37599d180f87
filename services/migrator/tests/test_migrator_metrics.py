"""A run's figures as Prometheus metrics: what the operator's collector reads
from the textfile is what the run printed."""

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from migrator.load.tally import FATES
from migrator.metrics import RunFigures


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@given(
    records=st.integers(0, 10**7),
    rejects=st.integers(0, 10**5),
    merges=st.integers(0, 10**5),
    fates=st.dictionaries(st.sampled_from(FATES), st.integers(0, 10**6)),
)
def test_the_textfile_holds_the_printed_figures(
    records: int, rejects: int, merges: int, fates: dict[str, int]
) -> None:
    figures = RunFigures("load", records=records, rejects=rejects, merges=merges, fates=fates)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "migrator.prom"
        printed = figures.publish(target)
        written = _values(target.read_text())
    shown = _values(printed)
    command = (("command", "load"),)
    for name, value in (
        ("sendfx_migrator_records", records),
        ("sendfx_migrator_rejects", rejects),
        ("sendfx_migrator_merges", merges),
    ):
        assert written[(name, command)] == shown[(name, command)] == value
    assert written[("sendfx_migrator_records_per_second", command)] >= 0
    for fate, count in fates.items():
        labels = tuple(sorted({"command": "load", "fate": fate.replace(" ", "_")}.items()))
        assert written[("sendfx_migrator_record_fates", labels)] == count

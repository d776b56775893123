"""`bench.serve` runs end to end on a tiny synthetic ledger, on both backends: a real `ledger
serve` answers every request with 200 and every figure is measured (no timing is asserted)."""

from __future__ import annotations

import math

import pytest

from bench import serve, synthetic
from ledger.settings import Settings

QUERIES = 2


def test_the_serve_benchmark_measures_every_figure(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "PARTIES", 30)
    decisions = serve.build(settings, 300)
    workers = 1 if settings.database_url is None else 4
    results = serve.run(settings, queries=QUERIES, workers=workers, say=lambda line: None)

    assert results.decisions == decisions and results.workers == workers
    assert results.start_seconds > 0 and results.settle_seconds >= 0
    assert set(results.rss_mb) == {"first answer", "idle", "end"}
    for values in results.rss_mb.values():
        assert len(values) == workers and min(values) > 0
    assert [(row.endpoint, row.asked) for row in results.rows] == [
        (endpoint.name, asked)
        for endpoint in serve.ENDPOINTS
        for asked in ("first-time", "repeated", serve.ONE_DATE)
    ]
    for row in results.rows:
        assert [s.status for s in row.samples] == [200] * QUERIES, row.endpoint
        assert min(s.size for s in row.samples) > 0
        assert len(row.floor_seconds) == QUERIES and min(row.floor_sizes) > 0
        assert all(math.isfinite(v) and v > 0 for v in row.summary().values()), row.endpoint
    asked = [s.as_of for row in results.rows if row.asked == "first-time" for s in row.samples]
    assert len(set(asked)) == len(asked)  # first-time dates are never asked twice
    for row in results.rows:
        if row.asked == serve.ONE_DATE:  # one of the first-time questions, asked again and again
            assert len({(s.as_of, s.subject) for s in row.samples}) == 1
            assert row.samples[0].as_of in asked
    assert "| matrix | first-time |" in serve.markdown(results)
    assert results.to_json()["rows"][0]["p50_ms"] > 0

"""Search and autocomplete latency over the demo catalog, through the real HTTP stack.

    python bench/search_latency.py [--searches 2000] [--typed-queries 300] [--concurrency 2]

On its own fresh database: the Flipkart demo catalog is imported
(``manage.py import_flipkart``) and indexed (``manage.py rebuild_search_index``),
then gunicorn serves the store and client processes send:

- search: ``GET /api/v1/search/?q=...`` with every facet (the full results page
  payload), one request per query, the queries drawn (fixed seed) from the
  judgment files' real shopper queries (CrowdFlower and Home Depot), so many
  find little in a catalog of Indian fashion and electronics, like real traffic;
- suggest: ``GET /api/v1/search/suggest/?q=...`` for every keystroke of
  ``--typed-queries`` of those queries typed letter by letter, as the search box
  does (repeated prefixes are served from the cache, as they would be).

Every search is logged (one INSERT), as in production. The last stdout line is
JSON with ``search_p50_ms``, ``search_p95_ms``, ``search_p99_ms``,
``suggest_p50_ms``, ``suggest_p95_ms``, ``suggest_p99_ms``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import ROOT, bench_env, emit, flush_redis, fresh_database, load, log, manage, web_server

DATA = ROOT.parent / "shared" / "data"  # as the settings default SHOP_SHARED_DATA
JUDGMENT_FILES = ("crowdflower_search_relevance/judgments.csv.gz", "homedepot_search_relevance/judgments.csv.gz")
SEED = 42


def shopper_queries(data_dir: Path) -> list[str]:
    queries: set[str] = set()
    for name in JUDGMENT_FILES:
        path = data_dir / name
        if not path.exists():
            log(f"missing {path}; skipped")
            continue
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            queries.update(row["query"].strip() for row in csv.DictReader(handle) if row["query"].strip())
    if not queries:
        raise SystemExit(f"no judgment files under {data_dir}")
    return sorted(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=2000, help="search requests")
    parser.add_argument("--typed-queries", type=int, default=300, help="queries typed keystroke by keystroke")
    parser.add_argument("--concurrency", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default: SHOP_SHARED_DATA)")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(os.environ.get("SHOP_SHARED_DATA", DATA))
    rng = random.Random(SEED)
    queries = shopper_queries(data_dir)
    searches = [rng.choice(queries) for _ in range(args.searches)]
    typed = [rng.choice(queries) for _ in range(args.typed_queries)]
    keystrokes = [query[:n] for query in typed for n in range(1, len(query) + 1) if query[n - 1 : n].strip()]

    env = bench_env(fresh_database("search_latency"), SHOP_SHARED_DATA=str(data_dir))
    log("migrating, importing the demo catalog and indexing it")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "import_flipkart")
    manage(env, "rebuild_search_index", "-v", "0")
    flush_redis(env)

    with web_server(env, workers=args.workers) as port:
        log("warming up")
        load(port, ["/api/v1/search/?q=shirt", "/api/v1/search/suggest/?q=s"] * 10, 1)
        log(f"{len(searches)} searches with facets")
        search = load(port, [f"/api/v1/search/?{urlencode({'q': q})}" for q in searches], args.concurrency)
        log(f"search: {search}")
        log(f"{len(keystrokes)} autocomplete requests ({len(typed)} queries typed)")
        suggest = load(
            port, [f"/api/v1/search/suggest/?{urlencode({'q': prefix})}" for prefix in keystrokes], args.concurrency
        )
        log(f"suggest: {suggest}")

    emit(
        {
            "search_p50_ms": round(search["p50_ms"], 2),
            "search_p95_ms": round(search["p95_ms"], 2),
            "search_p99_ms": round(search["p99_ms"], 2),
            "search_rps": round(search["rps"], 1),
            "searches": int(search["requests"]),
            "suggest_p50_ms": round(suggest["p50_ms"], 2),
            "suggest_p95_ms": round(suggest["p95_ms"], 2),
            "suggest_p99_ms": round(suggest["p99_ms"], 2),
            "suggest_rps": round(suggest["rps"], 1),
            "suggests": int(suggest["requests"]),
            "concurrency": args.concurrency,
            "errors": int(search["errors"] + suggest["errors"]),
        }
    )


if __name__ == "__main__":
    main()

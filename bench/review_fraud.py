"""The review fraud gate: model quality on held-out data, and scoring cost.

1. Quality. The text model is trained on the Salminen subset's ``dev`` split and
   evaluated on its held-out ``test`` split, and on the whole Ott corpus, which is
   never trained on (its licence is non-commercial; it is a different domain,
   hotel reviews written by crowd workers, so little transfer is expected).
2. Scoring cost. On a fresh database with a demo catalog and thousands of
   published reviews, each new review is scored by the full gate (behaviour
   queries, near-duplicate lookup, text model, decision write): ``score_p99_ms``.
3. End to end. Customers post reviews to the API of a real gunicorn; a real
   Celery worker runs the gate: how long posting takes and how long until the
   review is decided, at a paced arrival rate (``--rate``).

    python bench/review_fraud.py [--seed-reviews 3000] [--scored 500] [--posted 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    bench_env,
    celery_worker,
    emit,
    flush_redis,
    fresh_database,
    log,
    manage,
    percentile,
    setup_django,
    web_server,
)

WARM_UP = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=300, help="demo products to import")
    parser.add_argument("--seed-reviews", type=int, default=3000, help="published reviews already in the store")
    parser.add_argument("--scored", type=int, default=500, help="new reviews scored in-process")
    parser.add_argument("--posted", type=int, default=200, help="reviews posted through the API (0 skips)")
    parser.add_argument("--concurrency", type=int, default=4, help="API client threads")
    parser.add_argument("--rate", type=float, default=10.0, help="reviews posted per second (paced arrivals)")
    args = parser.parse_args()

    model_dir = tempfile.mkdtemp(prefix="review-models-")
    env = bench_env(fresh_database("review_fraud"), REVIEWS_FRAUD_MODEL_DIR=model_dir)
    log("migrating and importing the demo catalog")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "import_flipkart", "--limit", str(args.products))
    flush_redis(env)
    setup_django(env)

    figures: dict[str, Any] = evaluate_and_install_model()
    rng = random.Random(8)
    store_texts, new_texts = review_texts()
    product_ids = seed_store(rng, store_texts, args.seed_reviews)
    figures.update(score_in_process(rng, new_texts, product_ids, args.scored))
    if args.posted:
        flush_redis(env)  # the broker queue holds the in-process phase's (already decided) tasks
        figures.update(post_through_the_api(env, rng, new_texts, product_ids, args.posted, args.concurrency, args.rate))
    emit(figures)


def evaluate_and_install_model() -> dict[str, Any]:
    from shop.reviews.fraud import registry, text_model

    salminen, ott = text_model.load_salminen(), text_model.load_ott()
    log(f"training on Salminen dev ({len(salminen['dev'])} rows)")
    started = time.perf_counter()
    pipeline = text_model.train(salminen["dev"])
    train_seconds = time.perf_counter() - started
    held_out = text_model.evaluate(pipeline, salminen["test"])
    on_ott = text_model.evaluate(pipeline, ott)
    log(f"Salminen test: {held_out}; Ott (evaluation only): {on_ott}")
    row = registry.save_version(
        pipeline, trained_on="bench: Salminen dev", train_rows=len(salminen["dev"]), metrics={"salminen_test": held_out}
    )
    return {
        "auc_salminen": held_out["auc"],
        "precision_salminen": held_out["precision"],
        "recall_salminen": held_out["recall"],
        "auc_ott": on_ott["auc"],
        "precision_ott": on_ott["precision"],
        "recall_ott": on_ott["recall"],
        "train_rows": len(salminen["dev"]),
        "train_seconds": round(train_seconds, 1),
        "model_file_kb": registry.model_path(row.version).stat().st_size // 1024,
    }


def review_texts() -> tuple[list[str], list[str]]:
    """Real texts: the store's existing reviews (Salminen dev) and new ones (the held-out test split)."""
    from shop.reviews.fraud import text_model

    salminen = text_model.load_salminen()
    return salminen["dev"].texts, salminen["test"].texts


def seed_store(rng: random.Random, texts: list[str], count: int) -> list[int]:
    """Customers of varied account ages and ``count`` published reviews with fingerprints."""
    from django.utils import timezone

    from shop.catalog import services as catalog
    from shop.reviews import services
    from shop.reviews.fraud import minhash
    from shop.reviews.models import Review, ReviewStatus

    product_ids = [product.product_id for product in catalog.iter_products(active_only=True)]
    users = make_customers(rng, max(50, count // 3))
    log(f"seeding {count} published reviews on {len(product_ids)} products")
    now = timezone.now()
    pairs = {(rng.choice(users), rng.choice(product_ids)) for _ in range(count)}
    rows = []
    for user_id, product_id in pairs:
        text = rng.choice(texts)
        signature = minhash.signature(text)
        rows.append(
            Review(
                user_id=user_id,
                product_id=product_id,
                author_name=f"c{user_id}",
                rating=rng.choice([1, 2, 3, 4, 4, 5, 5, 5]),
                title="Seeded",
                body=text[: services.BODY_MAX_LENGTH] or "ok",
                status=ReviewStatus.HELD,
                minhash=signature,
                lsh_bands=minhash.bands(signature),
                submitted_at=now - timedelta(days=rng.uniform(0, 20)),
            )
        )
    created = Review.objects.bulk_create(rows, batch_size=1000)
    started = time.perf_counter()
    services.moderate([review.id for review in created], approve=True, staff_id=0)  # publish + summaries
    log(f"published {len(created)} seeded reviews in {time.perf_counter() - started:.1f}s")
    return product_ids


def make_customers(rng: random.Random, count: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    user_model = get_user_model()
    unusable = make_password(None)
    tag = secrets.token_hex(3)
    now = timezone.now()
    users = [
        user_model(
            username=f"bench-{tag}-{n}",
            email=f"bench-{tag}-{n}@example.com",
            password=unusable,
            date_joined=now - timedelta(days=rng.choice([0, 1, 5, 40, 200, 900])),
        )
        for n in range(count)
    ]
    return [user.id for user in user_model.objects.bulk_create(users, batch_size=1000)]


def score_in_process(rng: random.Random, texts: list[str], product_ids: list[int], count: int) -> dict[str, Any]:
    """The whole gate per review, as the worker runs it."""
    from shop.reviews import services

    users = make_customers(rng, count)
    reviews = []
    for user_id in users:
        review = services.submit_review(
            user_id=user_id,
            product_id=rng.choice(product_ids),
            rating=rng.randint(1, 5),
            title="Bench",
            body=rng.choice(texts)[: services.BODY_MAX_LENGTH] or "ok",
            author_name="bench",
        )
        reviews.append(review.review_id)
    log(f"scoring {len(reviews)} new reviews in-process")
    services.run_fraud_gate(reviews[0], 1)  # load the model once, as a warm worker has
    timings, outcomes = [], {}
    for review_id in reviews[1:]:
        started = time.perf_counter()
        outcome = services.run_fraud_gate(review_id, 1)
        timings.append((time.perf_counter() - started) * 1000)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    timings.sort()
    log(f"outcomes: {outcomes}")
    return {
        "scored": len(timings),
        "score_p50_ms": round(percentile(timings, 50), 2),
        "score_p99_ms": round(percentile(timings, 99), 2),
        "score_mean_ms": round(statistics.fmean(timings), 2),
        "decisions": outcomes,
    }


def post_through_the_api(
    env: dict[str, str],
    rng: random.Random,
    texts: list[str],
    product_ids: list[int],
    count: int,
    concurrency: int,
    rate: float,
) -> dict[str, Any]:
    """Paced arrivals, so the decision latency is the pipeline's, not a backlog's."""
    from shop.reviews.models import Review

    sessions = signed_in_sessions(make_customers(rng, count + WARM_UP))
    jobs = [
        (cookie, rng.choice(product_ids), rng.choice(texts)[:5000] or "ok", rng.randint(1, 5)) for cookie in sessions
    ]
    warm_up, jobs = jobs[:WARM_UP], jobs[WARM_UP:]
    with web_server(env) as port, celery_worker(env, concurrency=2):
        log("warming up: the worker processes load the model on their first review")
        warm_ids = [post_review(port, *job)[2] for job in warm_up]
        wait_for_decisions(warm_ids)
        log(f"posting {len(jobs)} reviews through the API, {rate}/s from {concurrency} clients")
        started = time.perf_counter()

        def paced(index: int) -> tuple[float, int, int | None]:
            time.sleep(max(0.0, started + index / rate - time.perf_counter()))
            return post_review(port, *jobs[index])

        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(paced, range(len(jobs))))
        ids = [review_id for _, _, review_id in results if review_id]
        wait_for_decisions(ids)
        elapsed = time.perf_counter() - started
    post_ms = sorted(ms for ms, _, _ in results)
    decided = list(Review.objects.filter(id__in=ids, decided_at__isnull=False).values_list("created_at", "decided_at"))
    decide_ms = sorted((done - created).total_seconds() * 1000 for created, done in decided)
    return {
        "posted": len(results),
        "post_errors": sum(1 for _, status, _ in results if status != 201),
        "post_p50_ms": round(percentile(post_ms, 50), 2),
        "post_p99_ms": round(percentile(post_ms, 99), 2),
        "decided": len(decide_ms),
        "decision_p50_ms": round(percentile(decide_ms, 50), 1),
        "decision_p99_ms": round(percentile(decide_ms, 99), 1),
        "post_rate_per_s": rate,
        "api_phase_seconds": round(elapsed, 1),
    }


def wait_for_decisions(review_ids: list[int | None], timeout: float = 120) -> None:
    from shop.reviews.models import Review, ReviewStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Review.objects.filter(id__in=[i for i in review_ids if i], status=ReviewStatus.PENDING).exists():
            return
        time.sleep(0.1)


def signed_in_sessions(user_ids: list[int]) -> list[str]:
    """A session cookie per customer, as the login page would leave them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.cached_db import SessionStore

    cookies = []
    for user in get_user_model().objects.filter(id__in=user_ids):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return cookies


def post_review(port: int, session_key: str, product_id: int, text: str, rating: int) -> tuple[float, int, int | None]:
    csrf = secrets.token_hex(16)  # 32 alphanumerics: an unmasked CSRF secret
    body = json.dumps({"rating": rating, "title": "Bench", "body": text})
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        conn.request("POST", f"/api/v1/products/{product_id}/reviews/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        review_id = json.loads(payload).get("id") if response.status == 201 else None
        return elapsed, response.status, review_id
    finally:
        conn.close()


if __name__ == "__main__":
    main()

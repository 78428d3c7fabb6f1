"""Behaviour logging, ranking signals and learning-to-rank (train, version, load, fall back)."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shop.search import behaviour, ltr
from shop.search.models import ProductSignal, RankerModel, SearchDocument, SearchInteraction, SearchQueryLog
from shop.search.params import SearchParams
from shop.search.services import record_add_to_cart, record_click, record_purchase, search
from tests.factories_search import index, product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    settings.SEARCH_MODEL_DIR = tmp_path / "models"
    ltr._loaded.update(generation=None, ranker=None)
    yield settings.SEARCH_MODEL_DIR
    ltr._loaded.update(generation=None, ranker=None)


@pytest.fixture
def mugs():
    items = [product(f"Ceramic Coffee Mug {n}", price=Decimal(100 + n)) for n in range(8)]
    index(*items)
    return items


def test_a_search_is_logged_with_what_it_showed(mugs):
    result = search(SearchParams(q="coffee mug", page_size=5))

    entry = SearchQueryLog.objects.get(token=result.query_id)
    assert entry.normalized == "coffee mug"
    assert entry.product_ids == [hit.product_id for hit in result.hits]
    assert entry.result_count == 8


def test_click_counts_only_for_a_product_the_search_showed(mugs):
    result = search(SearchParams(q="coffee mug", page_size=3))
    shown, not_shown = result.hits[0].product_id, mugs[-1].id

    assert record_click(result.query_id, shown, 1)
    assert not record_click(result.query_id, not_shown)
    assert not record_click("not-a-uuid", shown)
    assert SearchInteraction.objects.count() == 1


def test_processing_turns_logs_into_signals_features_and_query_stats(mugs):
    result = search(SearchParams(q="coffee mug"))
    clicked = result.hits[2].product_id
    record_click(result.query_id, clicked, 3)
    record_add_to_cart(clicked, query_id=result.query_id)
    record_purchase([clicked])

    assert behaviour.process_pending() == 4
    assert behaviour.process_pending() == 0  # each row counts once

    signal = ProductSignal.objects.get(product_id=clicked)
    assert (signal.impressions, signal.clicks, signal.add_to_carts, signal.purchases) == (1, 1, 1, 1)
    doc = SearchDocument.objects.get(product_id=clicked)
    assert doc.ctr > SearchDocument.objects.get(product_id=result.hits[0].product_id).ctr
    assert doc.popularity > 0
    entry = SearchQueryLog.objects.get(token=result.query_id)
    assert entry.feature_version == ltr.FEATURE_VERSION
    assert len(entry.features) == len(entry.product_ids)
    assert len(entry.features[0]) == len(ltr.FEATURES)


def test_add_to_cart_without_a_query_id_is_attributed_to_the_shoppers_last_search(mugs):
    result = search(SearchParams(q="coffee mug"), user_id=7, session_key="abc")
    product_id = result.hits[1].product_id

    record_add_to_cart(product_id, session_key="abc")
    record_purchase([product_id], user_id=7)

    log_id = SearchQueryLog.objects.get(token=result.query_id).id
    assert set(SearchInteraction.objects.values_list("kind", "query_log_id")) == {
        ("cart", log_id),
        ("purchase", log_id),
    }


def test_behaviour_lifts_a_product_in_the_base_ranking(mugs):
    before = [hit.product_id for hit in search(SearchParams(q="coffee mug"), log=False).hits]
    favourite = before[-1]
    for _ in range(5):
        result = search(SearchParams(q="coffee mug"))
        record_click(result.query_id, favourite)
        record_purchase([favourite])
    behaviour.process_pending()

    after = [hit.product_id for hit in search(SearchParams(q="coffee mug"), log=False).hits]
    assert after[0] == favourite


def test_concurrent_processors_count_every_row_exactly_once(mugs, transactional_db):
    for _ in range(30):
        search(SearchParams(q="coffee mug", page_size=4))
    errors = []

    def work() -> None:
        try:
            while behaviour.process_pending(batch=5):
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sum(ProductSignal.objects.values_list("impressions", flat=True)) == 30 * 4


def click_log(mugs, favourite, rounds: int = 12) -> None:
    """Shoppers search for mugs and buy ``favourite``: the behaviour a model can learn from."""
    for n in range(rounds):
        result = search(SearchParams(q="ceramic coffee mug" if n % 2 else "coffee mug"), session_key=f"s{n}")
        position = next(h.position for h in result.hits if h.product_id == favourite)
        record_click(result.query_id, favourite, position)
        record_click(result.query_id, result.hits[0].product_id, 1)
        record_add_to_cart(favourite, query_id=result.query_id)
    behaviour.process_pending()


def test_training_command_saves_a_versioned_model_that_search_then_uses(
    mugs, model_dir, capsys, django_capture_on_commit_callbacks
):
    click_log(mugs, mugs[5].id)

    with django_capture_on_commit_callbacks(execute=True):  # activation moves the version key on commit
        call_command("train_search_ranker")

    model = RankerModel.objects.get()
    assert model.is_active
    assert model.version == 1
    assert model.source == "logs"
    assert (Path(model_dir) / model.file_name).is_file()
    assert "Ranker v1 (active)" in capsys.readouterr().out
    result = search(SearchParams(q="coffee mug"), log=False)
    assert result.ranker_version == 1
    assert sorted(h.product_id for h in result.hits) == sorted(m.id for m in mugs)


def test_a_second_training_makes_the_next_version(mugs):
    click_log(mugs, mugs[5].id)
    call_command("train_search_ranker")
    call_command("train_search_ranker", "--no-activate")

    assert list(RankerModel.objects.values_list("version", "is_active")) == [(2, False), (1, True)]


def test_without_enough_behaviour_training_refuses_clearly(mugs):
    with pytest.raises(CommandError, match="Not enough behaviour"):
        call_command("train_search_ranker")


def test_missing_or_tampered_model_file_falls_back_to_the_base_score(mugs, model_dir):
    click_log(mugs, mugs[5].id)
    call_command("train_search_ranker")
    model = RankerModel.objects.get()
    (Path(model_dir) / model.file_name).write_text("tampered")
    ltr._loaded.update(generation=None, ranker=None)

    result = search(SearchParams(q="coffee mug"), log=False)

    assert result.ranker_version is None
    assert result.total == 8


def test_deactivating_returns_to_the_base_ranking(mugs):
    click_log(mugs, mugs[5].id)
    call_command("train_search_ranker")
    ltr._loaded.update(generation=None, ranker=None)

    call_command("train_search_ranker", "--deactivate")
    ltr._loaded.update(generation=None, ranker=None)

    assert search(SearchParams(q="coffee mug"), log=False).ranker_version is None


def test_a_model_no_better_than_the_base_on_held_out_queries_is_not_promoted(mugs):
    import numpy as np

    rng = np.random.default_rng(1)
    groups = []
    for _ in range(40):  # the base order is already perfect: nothing to gain
        features = rng.random((6, len(ltr.FEATURES)))
        features[:, ltr.FEATURES.index("base_rank")] = np.arange(6)
        groups.append(ltr.Group(features, [3, 2, 1, 0, 0, 0]))

    trained = ltr.train(groups)

    assert trained.metrics["valid_ndcg10_base"] == pytest.approx(1.0)
    assert not ltr.beats_base(trained)

"""The relevance benchmark's reading and scoring: any file in the common judgments format, fixed split, metrics."""

from __future__ import annotations

import gzip
import math

import pytest

from bench.search_relevance import (
    Judgment,
    by_query,
    in_training_half,
    integer_grades,
    read_judgments,
    score_ranking,
)

HEADER = "query,product_id,title,description,relevance\n"


def test_reads_gzip_and_plain_utf8_and_latin1_files(tmp_path):
    rows = HEADER + 'red shoes,p2,"Blue Shoe, ""classic""",,1.5\n'

    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(rows.encode()))
    (tmp_path / "b.csv").write_bytes((rows + "caf\xe9,p3,Caf\xe9 Table,,3\n").encode("latin-1"))

    gz = read_judgments(tmp_path / "a.csv.gz")
    latin = read_judgments(tmp_path / "b.csv")

    assert [(j.product_id, j.title, j.relevance) for j in gz] == [("p2", 'Blue Shoe, "classic"', 1.5)]
    assert (latin[-1].query, latin[-1].title) == ("caf\xe9", "Caf\xe9 Table")


def test_a_file_without_the_columns_is_refused_clearly(tmp_path):
    (tmp_path / "bad.csv").write_text("q,id\nx,1\n")

    with pytest.raises(SystemExit, match="missing column"):
        read_judgments(tmp_path / "bad.csv")


def test_repeated_judgments_of_a_pair_are_averaged():
    rows = [Judgment("q", "p1", "t", "", 1.0), Judgment("q", "p1", "t", "", 3.0), Judgment("q", "p2", "u", "", 2.0)]

    assert by_query(rows) == {"q": {"p1": 2.0, "p2": 2.0}}


def test_a_relevance_that_is_no_number_is_refused_with_its_line(tmp_path):
    (tmp_path / "bad.csv").write_text(HEADER + "q,p1,t,,high\n")

    with pytest.raises(SystemExit, match=r"bad\.csv:2"):
        read_judgments(tmp_path / "bad.csv")


def test_the_split_is_fixed_and_about_half():
    queries = [f"query {n}" for n in range(2000)]
    training = [q for q in queries if in_training_half(q)]

    assert 900 < len(training) < 1100
    assert training == [q for q in queries if in_training_half(q)]


def test_ndcg_and_mrr_skip_unjudged_products_and_count_missed_ones():
    judged = {"a": 3.0, "b": 2.0, "c": 1.0}

    perfect = score_ranking(["x", "a", "y", "b", "c"], judged, low=1.0, relevant_gain=1.0)
    missing = score_ranking(["b"], judged, low=1.0, relevant_gain=1.0)

    assert perfect == (1.0, 1.0)  # unjudged x and y are skipped, not counted as irrelevant
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert missing == (pytest.approx((1 / math.log2(2)) / ideal), 1.0)


def test_grades_are_scaled_to_integers_for_lambdarank():
    assert integer_grades({"a": 1.0, "b": 2.0, "c": 3.0}, 1.0, 3.0) == {"a": 0, "b": 2, "c": 4}

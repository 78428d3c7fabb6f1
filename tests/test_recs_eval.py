"""bench/recs_eval.py runs on any file in the Online Retail format, not only the shipped one."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = {
    "precision10_pop",
    "precision10_cooc",
    "precision10_als",
    "recall10_pop",
    "recall10_als",
    "ndcg10_pop",
    "ndcg10_cooc",
    "ndcg10_als",
    "coverage_als",
    "train_s",
}


def write_log(path: Path) -> None:
    """Two taste groups buying from their own ten products, in US-style dates, plus rows to be cleaned away."""
    rng = random.Random(3)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
        )
        invoice = 500000
        for month in (1, 2, 3, 4):
            for customer in range(12000, 12060):
                group = customer % 2
                invoice += 1
                for code in rng.sample(range(10), 4):
                    stock = f"{20000 + group * 100 + code}{'A' if code == 3 else ''}"
                    writer.writerow(
                        [
                            invoice,
                            stock,
                            f"ITEM {stock}",
                            2,
                            f"{month}/15/2011 10:30",
                            "1.25",
                            customer,
                            "United Kingdom",
                        ]
                    )
        writer.writerow(["C600000", "20001", "RETURN", -2, "4/20/2011 10:00", "1.25", 12000, "United Kingdom"])
        writer.writerow([600001, "POST", "POSTAGE", 1, "4/20/2011 10:00", "18.00", 12000, "United Kingdom"])
        writer.writerow([600002, "20002", "GUEST", 1, "4/20/2011 10:00", "1.25", "", "United Kingdom"])


def test_the_evaluation_tunes_and_prints_every_figure_for_a_small_plain_csv(tmp_path):
    data = tmp_path / "tiny.csv"
    write_log(data)

    result = subprocess.run(
        [
            sys.executable,
            "bench/recs_eval.py",
            "--data",
            str(data),
            "--split-date",
            "2011-04-01",
            "--lookup-samples",
            "0",
            "--tune",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures) >= KEYS
    assert figures["test_customers"] == 60
    # Tuned on February -> March, ALS learns the two tastes that popularity is blind to.
    assert figures["precision10_als"] > figures["precision10_pop"]
    assert "cancellation" in result.stderr


def test_the_evaluation_refuses_a_split_with_nothing_to_test(tmp_path):
    data = tmp_path / "tiny.csv"
    write_log(data)

    result = subprocess.run(
        [
            sys.executable,
            "bench/recs_eval.py",
            "--data",
            str(data),
            "--split-date",
            "2012-01-01",
            "--lookup-samples",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode != 0
    assert "both must be non-empty" in result.stderr

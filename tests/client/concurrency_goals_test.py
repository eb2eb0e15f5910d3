"""scripts/concurrency_goals.py, the judge of bench.sh's concurrency stage,
on made-up runs: medians over rounds, peak thread counts, and the goal
failing below 90% or with failed calls."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import concurrency_goals  # noqa: E402


def run(rnd, concurrency, calls_per_s, client_threads=9, server_threads=15,
        errors=0):
    return {"round": rnd, "concurrency": concurrency,
            "calls_per_s": calls_per_s, "p50_ms": concurrency / 10,
            "p99_ms": concurrency / 5, "errors": errors,
            "client_threads": client_threads,
            "server_threads": server_threads}


def sweep(high_calls, errors=0):
    return {"runs": [run(1, 16, 5000), run(1, 1024, high_calls[0], 12),
                     run(2, 16, 7000), run(2, 1024, high_calls[1], 11, 17),
                     run(3, 16, 6000, errors=errors),
                     run(3, 1024, high_calls[2], errors=errors)]}


class ConcurrencyGoalsTest(unittest.TestCase):
    def test_rows_take_medians_and_peaks(self):
        rows = concurrency_goals.rows(sweep([5500, 5200, 9000]))
        self.assertEqual([r["concurrency"] for r in rows], [16, 1024])
        self.assertEqual(rows[0]["calls_per_s"], 6000)
        self.assertEqual(rows[1]["calls_per_s"], 5500)
        self.assertEqual(rows[1]["rounds"], 3)
        self.assertEqual(rows[1]["client_threads"], 12)
        self.assertEqual(rows[1]["server_threads"], 17)

    def test_goal_holds_at_ninety_percent(self):
        [(name, measured, limit, holds)] = concurrency_goals.goals(
            sweep([5400, 5400, 5400]))
        self.assertTrue(holds)
        self.assertIn("1,024 vs 16", name)
        self.assertEqual(measured, "5400 vs 6000 = 90%")
        self.assertEqual(limit, ">= 90%")

    def test_goal_fails_below_ninety_percent_or_with_errors(self):
        self.assertFalse(concurrency_goals.goals(sweep([5300] * 3))[0][3])
        self.assertFalse(
            concurrency_goals.goals(sweep([6000] * 3, errors=1))[0][3])

    def test_markdown_only_when_the_stage_ran(self):
        self.assertEqual(concurrency_goals.markdown(None, None), [])
        table = concurrency_goals.markdown(
            sweep([6000] * 3), lambda rows, columns: f"{len(rows)} rows")
        self.assertIn("2 rows", table[0])


if __name__ == "__main__":
    unittest.main()

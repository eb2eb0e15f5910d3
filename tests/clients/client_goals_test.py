"""scripts/client_goals.py, the judge of bench.sh's clients stage, on
made-up rows: ratios within a round, the C++ client's row chosen by method
and mode, the RSS goal, and goals failing above their limits."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import client_goals  # noqa: E402

MIB = 1 << 20


def cpp(rnd, rpc, ms, method="maximum", mode="unary"):
    return {"client": "cpp", "round": rnd, "rpc": rpc, "method": method,
            "mode": mode, "latency_ms": {"p50": ms}, "verified": True}


def other(client, rnd, rpc, seconds, verified=True):
    return {"client": client, "round": rnd, "rpc": rpc, "method": "maximum",
            "seconds_p50": seconds, "verified": verified}


def run(native_seconds, rss=400 * MIB, verified=True):
    """Three rounds of Apply; the C++ client slower in round 2."""
    rows = []
    for rnd, ms in ((1, 200), (2, 400), (3, 200)):
        rows += [cpp(rnd, "apply", ms), cpp(rnd, "apply", ms / 2, "abs"),
                 cpp(rnd, "apply", ms * 1.5, mode="stream"),
                 other("python_native", rnd, "apply", native_seconds[rnd - 1],
                       verified)]
    rows.append({"client": "python_native", "round": 1, "rpc": "apply_rss",
                 "method": "maximum", "seconds_p50": 0.3, "verified": True,
                 "peak_rss_bytes": rss, "array_bytes": 200_000_000})
    return rows


class ClientGoalsTest(unittest.TestCase):
    def test_ratio_is_the_median_of_same_round_ratios(self):
        # Ratios 1.1, 1.0, 1.5: median 1.1; the "abs" rows and the slower
        # stream rows are not the C++ client's reference.
        medians = client_goals.medians(run([0.22, 0.4, 0.3]))
        seconds, ratio = medians["python_native", "apply"]
        self.assertAlmostEqual(ratio, 1.1)
        self.assertAlmostEqual(seconds, 0.3)
        self.assertAlmostEqual(medians["cpp", "apply"][0], 0.2)

    def test_goals_hold_within_their_limits(self):
        goals = client_goals.goals(run([0.22, 0.4, 0.3]))
        self.assertEqual([g[3] for g in goals], [True, True, True])
        self.assertIn("Python native apply", goals[0][0])
        self.assertEqual(goals[0][2], "<= 1.2x")
        self.assertIn("<= 445 MiB", goals[1][2])

    def test_goals_fail_above_their_limits(self):
        goals = client_goals.goals(run([0.3, 0.5, 0.3], rss=450 * MIB,
                                       verified=False))
        self.assertEqual([g[3] for g in goals], [False, False, False])

    def test_markdown_only_when_the_stage_ran(self):
        self.assertEqual(client_goals.markdown(None, None), [])
        [section] = client_goals.markdown(
            run([0.22, 0.4, 0.3]), lambda rows, columns: f"{rows[0]}")
        self.assertIn("'python_native': '300 ms (1.10x)'", section)
        self.assertIn("'node': '-'", section)


if __name__ == "__main__":
    unittest.main()

"""scripts/colocated_goals.py, the judge of bench.sh's colocated stage, on
made-up measurements: core_benchmark's JSON read at the pool's thread
count, bench rows filtered by mode, ratios within a round, the default
method, and goals failing above their limits."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import colocated_goals  # noqa: E402


def kernel(rnd, relu_ms, gradient_ms):
    """core_benchmark's JSON: in-place cases on 1 and 2 threads (the pool:
    2), an out-of-place case, all but the pool's much slower."""
    def case(name, ms):
        return {"run_name": f"{name}/manual_time", "run_type": "iteration",
                "real_time": ms * 1e3, "time_unit": "us"}
    return {"round": rnd, "caller": "kernel", "transport": "-", "data": {
        "context": {"pool_threads": "2"},
        "benchmarks": [
            case("relu/float64/maximum/in/threads:2", relu_ms),
            case("relu/float64/abs/in/threads:2", relu_ms / 2),
            case("relu/float64/maximum/in/threads:1", relu_ms * 9),
            case("relu/float64/maximum/out/threads:2", relu_ms * 9),
            case("gradient/float64/plain/in/threads:2", gradient_ms)]}}


def bench_row(rpc, ms, mode, method="maximum", shape=(5000, 5000),
              verified=True):
    return {"rpc": rpc, "method": method, "mode": mode, "dtype": "float64",
            "shape": list(shape), "latency_ms": {"p50": ms},
            "verified": verified}


def cpp(rnd, shm_ms, inline_ms, shape=(5000, 5000)):
    """`bench --modes=unary --shared_memory` over UDS: (relu, gradient) ms
    of each mode."""
    return {"round": rnd, "caller": "cpp", "transport": "uds", "data": [
        bench_row("inplace", shm_ms[0], "shm", shape=shape),
        # Faster, but not the default method.
        bench_row("inplace", shm_ms[0] / 4, "shm", "abs", shape),
        bench_row("gradient", shm_ms[1], "shm", "multiply", shape),
        bench_row("inplace", inline_ms[0], "unary", shape=shape),
        bench_row("gradient", inline_ms[1], "unary", "multiply", shape),
        # Not a mode the stage runs.
        bench_row("inplace", shm_ms[0] / 4, "stream", shape=shape)]}


def python(rnd, relu_s, gradient_s, numpy_s, verified=True):
    return {"round": rnd, "caller": "python", "transport": "uds",
            "data": [
                {"caller": "python", "transport": "shm", "rpc": "inplace",
                 "method": "maximum", "seconds_p50": relu_s,
                 "verified": verified},
                {"caller": "python", "transport": "shm", "rpc": "gradient",
                 "method": "multiply", "seconds_p50": gradient_s,
                 "verified": True},
                {"caller": "numpy", "transport": "in_process",
                 "rpc": "inplace", "method": "maximum",
                 "seconds_p50": numpy_s, "verified": True}]}


def python_inline(rnd):
    """bench.py's rows: no caller, no transport."""
    return {"round": rnd, "caller": "python", "transport": "tcp", "data": [
        {"client": "python_native", "rpc": rpc, "method": method,
         "seconds_p50": 0.2, "verified": True}
        for rpc, method in (("inplace", "maximum"),
                            ("gradient", "multiply"))]}


def run(cpp_ms=(8, 16, 8), python_s=(0.009, 0.012, 0.011), small_us=(50, 50),
        verified=True):
    """Three rounds; the kernel (relu 5 ms, gradient 4 ms) twice as slow in
    round 2."""
    entries = []
    for rnd, scale in ((1, 1), (2, 2), (3, 1)):
        entries += [
            kernel(rnd, 5 * scale, 4 * scale),
            cpp(rnd, (cpp_ms[rnd - 1], 6 * scale), (150, 150)),
            python(rnd, python_s[rnd - 1], 0.008 * scale, 0.04, verified),
            python_inline(rnd),
            cpp(rnd, (small_us[0] / 1e3, 0.05), (small_us[1] / 1e3, 0.05),
                (128,))]
    return entries


class ColocatedGoalsTest(unittest.TestCase):
    def test_rows_keep_the_pools_in_place_cases_and_name_the_transport(self):
        rows = colocated_goals.rows(run())
        kernels = [r for r in rows if r["caller"] == "kernel"]
        self.assertEqual(sorted((r["rpc"], r["method"]) for r in kernels
                                if r["round"] == 1),
                         [("gradient", "multiply"), ("inplace", "abs"),
                          ("inplace", "maximum")])
        self.assertAlmostEqual(kernels[0]["seconds"], 0.005)
        cpp = [r for r in rows if r["caller"] == "cpp" and r["round"] == 1]
        self.assertEqual(sorted({r["transport"] for r in cpp}),
                         ["inline_uds", "shm_uds"])  # no stream rows
        self.assertEqual(len(cpp), 10)
        self.assertEqual({r["bytes"] for r in cpp}, {200_000_000, 1024})
        by_caller = {(r["caller"], r["transport"]) for r in rows
                     if r["caller"] in ("python", "numpy")}
        self.assertEqual(by_caller, {("python", "shm_uds"),
                                     ("numpy", "in_process"),
                                     ("python", "inline_tcp")})

    def test_ratio_is_the_median_of_same_round_ratios_at_the_default_method(
            self):
        # C++ relu 8, 16, 8 ms over kernels of 5, 10, 5 ms: 1.6x each round
        # (a ratio of medians would say 8 / 5); the abs rows, 4x faster, are
        # not the default method's.
        table = colocated_goals.large_table(colocated_goals.rows(run()))
        cpp_shm = next(r for r in table if r["caller"] == "C++ client" and
                       r["transport"] == "shared memory, UDS")
        seconds, ratio = cpp_shm["inplace"]
        self.assertAlmostEqual(seconds, 0.008)
        self.assertAlmostEqual(ratio, 1.6)
        self.assertEqual([(r["caller"], r["transport"]) for r in table],
                         [("kernel alone (core_benchmark)", "-"),
                          ("C++ client", "shared memory, UDS"),
                          ("Python client", "shared memory, UDS"),
                          ("NumPy np.maximum(x, 0, out=x)", "in process"),
                          ("C++ client", "inline, UDS"),
                          ("Python client", "inline, TCP loopback")])

    def test_goals_hold_within_their_limits(self):
        goals = colocated_goals.goals(run())
        self.assertEqual([g[3] for g in goals], [True] * len(goals))
        names = " | ".join(g[0] for g in goals)
        for part in ("C++ client inplace", "C++ client gradient",
                     "Python client inplace", "Python client gradient",
                     "NumPy", "1 KiB inplace", "1 KiB gradient", "verified"):
            self.assertIn(part, names)
        self.assertEqual(goals[0][2], "<= 2.0x")

    def test_goals_fail_above_their_limits(self):
        # C++ 2.2x the kernel; Python 9x the kernel and slower than NumPy;
        # 1 KiB shm 10% slower than inline; a wrong result.
        goals = colocated_goals.goals(run(cpp_ms=(11, 22, 11),
                                          python_s=(0.045, 0.026, 0.05),
                                          small_us=(55, 50), verified=False))
        failed = [g[0] for g in goals if not g[3]]
        self.assertEqual(len(failed), 5, failed)
        self.assertTrue(any("C++ client inplace" in g for g in failed))
        self.assertTrue(any("Python client inplace" in g for g in failed))
        self.assertTrue(any("NumPy" in g for g in failed))
        self.assertTrue(any("1 KiB inplace" in g for g in failed))
        self.assertTrue(any("verified" in g for g in failed))

    def test_markdown_only_when_the_stage_ran(self):
        self.assertEqual(colocated_goals.markdown(None, None), [])
        large, small = colocated_goals.markdown(
            run(), lambda rows, columns: str(
                [[f(r) for _, f in columns] for r in rows]))
        self.assertIn("median over 3 rounds", large)
        self.assertIn("on 2 threads", large)
        self.assertIn("'8.0', '1.60x'", large)
        self.assertIn("['UDS', 'inplace', '50', '50', '1.00x']", small)


if __name__ == "__main__":
    unittest.main()

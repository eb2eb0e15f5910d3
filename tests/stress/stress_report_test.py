"""scripts/stress_report.py, the judge of scripts/stress.sh, on made-up runs:
a run that meets every criterion passes, and each kind of failure fails the
criterion it concerns and no other."""

import contextlib
import copy
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import stress_report  # noqa: E402

T0 = 1_000_000.0  # the disturbed load runs from T0 to T0 + 8


def load(calls, errors, p99):
    return {"levels": [{"calls": calls, "errors": errors, "elapsed_s": 6.0,
                        "latency_ms": {"p50": p99 / 3, "p99": p99},
                        "status_codes": {"OK": calls - errors}}]}


def peers(count, lifetime, outcome, opened=T0 - 5):
    ends = [opened + lifetime] * count
    return {"calls": count, "connections": 1, "ended": count,
            "outcomes": {outcome: count}, "end_times": ends,
            "opened_first": opened, "opened_last": opened,
            "first_end": ends[0], "last_end": ends[0],
            "lifetime_s": {"min": lifetime, "median": lifetime,
                           "max": lifetime}}


DEADLINE = "DEADLINE_EXCEEDED: no request message within receive_timeout 30s"
GOOD = {
    "run.json": {"receive_timeout_s": 30, "receive_timeout_flag": True,
                 "margin_s": 3, "cores": 2, "rss_per_call_kib": 32,
                 "rss_before_kib": 20_000, "rss_after_kib": 60_000},
    "undisturbed_before.json": load(60_000, 0, 2.0),
    "disturbed.json": load(54_000, 0, 3.0),
    "undisturbed_after.json": load(60_000, 0, 2.0),
    "peers.json": {"ready": T0 - 1, "hold_s": 35, "pings_answered": 9,
                   "slow": peers(64, 30.5, DEADLINE),
                   "idle": peers(1000, 31.0, DEADLINE)},
    "peers_ready.json": {"ready": T0 - 1, "slow": 64, "idle": 1000},
}
WINDOWS = {"undisturbed_before": (T0 - 20, T0 - 13), "disturbed": (T0, T0 + 8),
           "undisturbed_after": (T0 + 40, T0 + 47)}
SAMPLES = [(T0 - 20, 12, 20_000, 20_000), (T0, 20, 40_000, 45_000)]
METRICS = ("tensor_transform_in_flight_requests 0\n"
           "tensor_transform_in_flight_bytes 0\n")


def judge(files, samples=SAMPLES, metrics=METRICS, judge_timing=True):
    """(exit status, names of the failed criteria) for a run made of
    `files`."""
    with tempfile.TemporaryDirectory() as out:
        for name, content in files.items():
            with open(os.path.join(out, name), "w") as f:
                json.dump(content, f)
        for name, (start, end) in WINDOWS.items():
            with open(os.path.join(out, name + ".window"), "w") as f:
                f.write(f"{start} {end}\n")
        with open(os.path.join(out, "samples.txt"), "w") as f:
            f.writelines(" ".join(map(str, s)) + "\n" for s in samples)
        with open(os.path.join(out, "metrics_after.txt"), "w") as f:
            f.write(metrics)
        with contextlib.redirect_stdout(io.StringIO()):
            status = stress_report.main(out, judge_timing)
        with open(os.path.join(out, "stress.json")) as f:
            criteria = json.load(f)["criteria"]
    return status, [c["criterion"] for c in criteria if not c["holds"]]


def changed(path, value):
    """GOOD with the value at `path` (file, key, ...) replaced."""
    files = copy.deepcopy(GOOD)
    node = files
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return files


class StressReportTest(unittest.TestCase):
    def assertFails(self, files, criterion, **kwargs):
        status, failed = judge(files, **kwargs)
        self.assertEqual(status, 1)
        self.assertEqual(len(failed), 1, failed)
        self.assertIn(criterion, failed[0])

    def test_passes_a_run_that_meets_every_criterion(self):
        self.assertEqual(judge(GOOD), (0, []))

    def test_fails_a_server_without_the_flag(self):
        self.assertFails(changed(("run.json", "receive_timeout_flag"), False),
                         "--receive_timeout")

    def test_fails_throughput_below_80_percent(self):
        self.assertFails(changed(("disturbed.json",), load(47_000, 0, 3.0)),
                         "load throughput")

    def test_reports_slow_load_without_failing_unless_judging_timing(self):
        slow = changed(("disturbed.json",), load(47_000, 0, 4.1))
        status, failed = judge(slow, judge_timing=False)
        self.assertEqual(status, 0)
        self.assertEqual(len(failed), 2, failed)
        self.assertEqual(judge(slow)[0], 1)

    def test_fails_p99_above_twice_undisturbed(self):
        self.assertFails(changed(("disturbed.json",), load(54_000, 0, 4.1)),
                         "load p99")

    def test_fails_failed_load_calls(self):
        self.assertFails(changed(("disturbed.json",), load(58_000, 1, 3.0)),
                         "load calls failed")

    def test_fails_a_slow_sender_cut_off_late(self):
        self.assertFails(
            changed(("peers.json", "slow"), peers(64, 33.5, DEADLINE)),
            "slow senders cut off")

    def test_fails_a_slow_sender_never_cut_off(self):
        slow = peers(64, 30.5, DEADLINE)
        slow["ended"] = 63
        self.assertFails(changed(("peers.json", "slow"), slow),
                         "slow senders cut off")

    def test_accepts_slow_senders_refused_by_admission(self):
        files = changed(("peers.json", "slow"),
                        peers(64, 0.01, "RESOURCE_EXHAUSTED: memory budget"))
        self.assertEqual(judge(files), (0, []))

    def test_fails_idle_streams_ended_without_a_clear_status(self):
        self.assertFails(
            changed(("peers.json", "idle"),
                    peers(1000, 31.0, "RST_STREAM error code 8")),
            "idle streams cut off")

    def test_fails_idle_streams_ended_during_the_load(self):
        self.assertFails(
            changed(("peers.json", "idle"),
                    peers(1000, 10.0, DEADLINE, opened=T0 - 5)),
            "peers held")

    def test_fails_too_many_threads(self):
        self.assertFails(GOOD, "server threads",
                         samples=SAMPLES + [(T0 + 1, 25, 40_000, 45_000)])

    def test_fails_rss_above_the_allowance(self):
        # 20,000 KiB before + 32 KiB x 1,064 calls = 54,048 KiB.
        self.assertFails(GOOD, "peak RSS",
                         samples=SAMPLES + [(T0 + 1, 20, 40_000, 54_100)])

    def test_fails_calls_still_in_flight_after(self):
        self.assertFails(GOOD, "held for ended calls",
                         metrics="tensor_transform_in_flight_requests 2\n"
                                 "tensor_transform_in_flight_bytes 0\n")

    def test_fails_when_the_metrics_are_missing(self):
        self.assertFails(GOOD, "held for ended calls", metrics="")


if __name__ == "__main__":
    unittest.main()

"""scripts/check_docs.py on small fixtures: the good one passes, and each
broken copy (one link, anchor, flag or snippet broken) fails, naming it.

    TT_BUILD=build /usr/bin/python3 tests/docs/check_docs_test.py -v
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "docs" / "fixtures" / "good"
CHECK = REPO / "scripts" / "check_docs.py"
sys.path.insert(0, str(REPO / "scripts"))
import check_docs  # noqa: E402  pylint: disable=wrong-import-position


def run_check(root, snippet=False):
    """(exit status, output) of check_docs on the fixture at root."""
    command = ["/usr/bin/python3", str(CHECK), "--root", str(root),
               "--build", os.environ.get("TT_BUILD", str(REPO / "build"))]
    if not snippet:
        command.append("--no-snippet")
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=240, check=False)
    return result.returncode, result.stdout + result.stderr


class Fixture:
    """A copy of the good fixture with one replacement in one file."""

    def __init__(self, file, old, new):
        self.file, self.old, self.new = file, old, new

    def __enter__(self):
        self.scratch = tempfile.TemporaryDirectory()
        root = pathlib.Path(self.scratch.name) / "fixture"
        shutil.copytree(GOOD, root)
        page = root / self.file
        text = page.read_text()
        assert self.old in text, f"{self.old!r} not in {self.file}"
        page.write_text(text.replace(self.old, self.new, 1))
        return root

    def __exit__(self, *exc):
        self.scratch.cleanup()


class GoodFixture(unittest.TestCase):
    def test_passes_every_check_with_the_snippet_run(self):
        status, output = run_check(GOOD, snippet=True)
        self.assertEqual(status, 0, output)
        self.assertIn("0 problems", output)


class BrokenFixtures(unittest.TestCase):
    def assert_fails(self, file, old, new, expected, snippet=False):
        with Fixture(file, old, new) as root:
            status, output = run_check(root, snippet)
        self.assertEqual(status, 1, output)
        self.assertIn(expected, output)

    def test_fails_on_a_link_to_a_missing_file(self):
        self.assert_fails("README.md", "(docs/page.md)", "(docs/pages.md)",
                          "no file docs/pages.md")

    def test_fails_on_a_link_to_a_missing_folder(self):
        self.assert_fails("README.md", "(docs/)", "(doc/)", "no file doc/")

    def test_fails_on_a_missing_anchor_in_another_page(self):
        self.assert_fails("README.md", "page.md#a-section",
                          "page.md#a-sections", "no heading #a-sections")

    def test_fails_on_a_second_repeat_of_a_heading_that_has_one(self):
        self.assert_fails("README.md", "page.md#notes-1", "page.md#notes-2",
                          "no heading #notes-2")

    def test_fails_on_a_missing_anchor_in_the_same_page(self):
        self.assert_fails("README.md", "(#quick-start)", "(#quickstart)",
                          "no heading #quickstart")

    def test_fails_on_a_missing_anchor_linked_from_docs(self):
        self.assert_fails("docs/page.md", "#call-it-from-python",
                          "#call-it-from-java", "no heading #call-it-from-java")

    def test_fails_on_an_unknown_server_flag_in_a_continued_line(self):
        self.assert_fails("README.md", "--max_message_bytes=1048576",
                          "--max_mesage_bytes=1048576",
                          "--max_mesage_bytes: not a flag of "
                          "tensor_transform_server")

    def test_fails_on_a_server_flag_given_to_the_client(self):
        self.assert_fails("README.md", "--concurrency=4", "--grace_period=4s",
                          "--grace_period: not a flag of "
                          "tensor_transform_client")

    def test_fails_on_an_unknown_flag_of_a_client_command_span(self):
        self.assert_fails("README.md", "`load --connections=2`",
                          "`load --conections=2`", "--conections")

    def test_fails_on_an_unknown_flag_passed_through_run_sh(self):
        self.assert_fails("README.md", "run.sh --repeats=3",
                          "run.sh --repeat=3", "--repeat: not a flag of "
                          "scripts/run.sh")

    def test_fails_on_a_client_flag_under_a_server_directive(self):
        self.assert_fails("README.md", "`--receive_timeout`",
                          "`--concurrency`", "--concurrency: not a flag of "
                          "tensor_transform_server")

    def test_fails_on_a_bare_flag_no_program_knows(self):
        self.assert_fails("docs/page.md", "`--listen`", "`--listen_address`",
                          "--listen_address: not a flag of any")

    def test_fails_on_a_failing_snippet(self):
        self.assert_fails("README.md", "[0.0, 2.0])", "[1.0, 2.0])",
                          "python snippet exited 1", snippet=True)

    def test_fails_without_a_python_snippet(self):
        self.assert_fails("README.md", "```python", "```py",
                          "no ```python block", snippet=True)


class Anchors(unittest.TestCase):
    def test_follow_githubs_rules(self):
        cases = {
            "Compared with ghz and perf_analyzer":
                "compared-with-ghz-and-perf_analyzer",
            "TLS, mutual TLS, tokens": "tls-mutual-tls-tokens",
            "API and numeric contract": "api-and-numeric-contract",
            "`--listen` and **bold**": "--listen-and-bold",
            "[Linked](x.md) heading": "linked-heading",
            "Sanitizers, fuzzing, soak, stress":
                "sanitizers-fuzzing-soak-stress",
        }
        for heading, slug in cases.items():
            self.assertEqual(check_docs.github_slug(heading), slug)

    def test_number_repeats_and_skip_code_blocks(self):
        text = "# A\n## A\n```sh\n# not a heading\n```\n## A\n"
        self.assertEqual(check_docs.anchors(text), {"a", "a-1", "a-2"})


if __name__ == "__main__":
    unittest.main()

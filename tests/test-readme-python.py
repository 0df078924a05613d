#!/usr/bin/env python3
# The README's Python example runs as written: its ```python block, with the
# example URL replaced by a clip served by ot-serve (tests/support), run by
# python3 with GST_OFFLINE_DIR set, downloads the clip and exits 0 once done;
# a second run finds it downloaded and exits at once; with a URL that fails,
# it exits 1 and prints why.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ot_serve import Content  # noqa: E402

README = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "README.md")
EXAMPLE_URL = "https://example.com/movie.mp4"


def readme_example():
    with open(README) as f:
        blocks = re.findall(r"^```python\n(.*?)^```$", f.read(), re.S | re.M)
    if len(blocks) != 1:
        raise AssertionError("README.md has %d python blocks, expected one" % len(blocks))
    return blocks[0]


class ReadmeExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.content = Content(["progressive"])
        cls.tmp = tempfile.TemporaryDirectory(prefix="gst-offline-readme-")
        cls.example = readme_example()

    @classmethod
    def tearDownClass(cls):
        cls.content.close()
        cls.tmp.cleanup()

    def run_example(self, url, data_dir):
        self.assertIn(EXAMPLE_URL, self.example)
        script = os.path.join(self.tmp.name, "example.py")
        with open(script, "w") as f:
            f.write(self.example.replace(EXAMPLE_URL, url))
        env = dict(os.environ, GST_OFFLINE_DIR=data_dir)
        return subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)

    def test_downloads_and_quits(self):
        data_dir = os.path.join(self.tmp.name, "data")
        run = self.run_example(self.content.urls["progressive"], data_dir)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[-1], "movie completed", run.stdout)
        self.assertIn("movie downloading", lines)
        # The clip is in the cache, whole.
        with open(os.path.join(self.content.tmp.name, "progressive", "clip.mp4"), "rb") as f:
            clip = f.read()
        cached = [os.path.join(d, name) for d, _, names in os.walk(data_dir) for name in names
                  if os.path.getsize(os.path.join(d, name)) == len(clip)]
        self.assertTrue(any(open(p, "rb").read() == clip for p in cached))

        # Run again: already downloaded, it exits at once.
        again = self.run_example(self.content.urls["progressive"], data_dir)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)

    def test_failure_exits_1_with_the_reason(self):
        run = self.run_example(self.content.urls["progressive"] + ".missing.mp4",
                               os.path.join(self.tmp.name, "failing"))
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("movie failed", run.stdout)
        self.assertIn("404", run.stderr)


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)

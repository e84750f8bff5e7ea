"""The report as a page (`mygrad grade --html`): a failed graph check is drawn, the first wrong node in red,
and a person looking at it in a browser sees the feedback, the numbers and the picture."""

import re
import subprocess
import sys

from browser import chromium

from autograder import samples
from autograder.catalogue import KIT_ROOT


def test_a_buggy_submission_s_page_shows_the_wrong_node_in_red(tmp_path):
    folder = samples.materialize(samples.load("bugs")["mul-without-out-grad"], tmp_path / "submission")
    page = tmp_path / "report.html"
    subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--quiet", "--html", str(page)],
        check=True,
        cwd=KIT_ROOT,
    )
    dom = chromium("--dump-dom", page.as_uri())
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "missing-chain-factor" in text and "* backward, called directly" in text
    row = re.search(r"\* backward, called directly.*?</div>\s*</div>", dom, re.S).group(0)
    assert "<svg" in row and "#ffcdd2" in row  # the drawing, with the first wrong node filled red
    drawn = re.sub(r"<[^>]+>", " ", row).replace("&nbsp;", " ")
    assert re.search(r"n0 \(a leaf\).*your grad -?[\d.]+.*expected -?[\d.]+", drawn, re.S), drawn
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    assert shot.stat().st_size > 20_000

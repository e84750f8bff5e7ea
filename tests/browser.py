"""Headless Chromium (Debian's `chromium`, installed by .ci/setup): what a person would see of a page."""

import shutil
import subprocess


def chromium(*args) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is needed to check the HTML pages (.ci/setup installs it)"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout

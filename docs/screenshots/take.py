"""Take the README's screenshots from a running dashboard: ``python docs/screenshots/take.py [URL]``.

The pictures come from a `make run` folder, not from a test's: run `make run`,
let the first training finish, then `cla demo feed --count 600 --rate 50
--pending-share 0.1` and `cla demo feed --count 600 --rate 50 --shift reputation
--pending-share 0.1` and wait for the trainer to retrain; then run this with the
dashboard's address (default http://127.0.0.1:8503). Each page is opened in
Debian's Chromium at 1400 x 1000 and saved here under its README name.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
#: (url path, file name, the text that shows the page has drawn)
PAGES = [("", "overview.png", "LEARNING MODE"), ("trends", "trends.png", "Scores on each model"),
         ("drift", "drift.png", "Features ranked by drift"), ("balance", "balance.png", "Class counts of"),
         ("model", "model_detail.png", "Confusion matrix"), ("models", "models.png", "models match"),
         ("activity", "activity.png", "Trainer log"), ("review", "review.png", "What pushed the score")]


def main(base: str = "http://127.0.0.1:8503") -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path, name, ready in PAGES:
            page.goto(f"{base.rstrip('/')}/{path}")
            page.get_by_text(ready).first.wait_for(timeout=60_000)
            time.sleep(4)  # charts finish drawing
            page.mouse.move(5, 990)
            page.screenshot(path=str(HERE / name), full_page=False)
            print(f"wrote {HERE / name}")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:2])

#!/usr/bin/python3
"""Drives the analyst review console in Debian's headless chromium.

Run by tests/server/console_browser_test.cc (which starts pcs-server, seeds
the database and checks it afterwards); not a test on its own. Loads the
page, filters (ML and rule disagree), opens a pattern, overrides it (reject
with a reason) and prints {"pattern_id": ..., "screenshots": [...]} as the
last line on stdout. Screenshots are written to --out. Exit 0 on success.
Bounded: every wait has a timeout.
"""
import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 30


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reason", default="browser test: breakout on low volume")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1500,1300"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    shots = []

    def shot(name):
        path = os.path.join(args.out, name)
        driver.save_screenshot(path)
        shots.append(path)

    # The page re-renders tables while we poll them: a stale element just
    # means "look again".
    wait = WebDriverWait(driver, WAIT_SECONDS,
                         ignored_exceptions=[StaleElementReferenceException])
    try:
        driver.get(args.url + "/console")
        wait.until(lambda d: "patterns match" in d.find_element(By.ID, "list-status").text)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")) > 0)
        total_all = driver.find_element(By.ID, "list-status").text
        shot("01_list.png")

        # Filter: ML and rule disagree.
        driver.find_element(By.ID, "f-disagreement").click()
        driver.find_element(By.ID, "apply").click()
        wait.until(lambda d: d.find_element(By.ID, "list-status").text != total_all
                   and "patterns match" in d.find_element(By.ID, "list-status").text)
        marks = driver.execute_script(
            "return [...document.querySelectorAll('#patterns tbody tr')]"
            ".map((r) => r.classList.contains('disagree'));")
        if not marks:
            raise SystemExit("the disagreement filter listed no pattern")
        if not all(marks):
            raise SystemExit("a listed row is not marked as a disagreement")
        rows = driver.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")
        shot("02_filtered_disagreement.png")

        # Open the first pattern.
        pattern_id = rows[0].get_attribute("data-id")
        rows[0].click()
        wait.until(lambda d: pattern_id in d.find_element(By.ID, "detail-title").text)
        wait.until(lambda d: d.find_element(By.ID, "conf-blended").text not in ("", "–"))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#contributions .bar-row")) > 0)
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('snapshot-decision');"
            "return i.complete && i.naturalWidth > 0;"))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#price-chart canvas")) > 0)
        time.sleep(0.5)  # let the canvas chart paint before the screenshot
        shot("03_detail.png")

        # Override: reject with a reason, with the write token.
        token = driver.find_element(By.ID, "token")
        token.clear()
        token.send_keys(args.token)
        driver.find_element(By.ID, "ov-reject").click()
        driver.find_element(By.ID, "ov-reason").send_keys(args.reason)
        driver.find_element(By.ID, "ov-submit").click()
        wait.until(lambda d: "recorded" in d.find_element(By.ID, "ov-status").text
                   or "error" in d.find_element(By.ID, "ov-status").get_attribute("class"))
        status = driver.find_element(By.ID, "ov-status").text
        if "recorded" not in status:
            shot("04_override_failed.png")
            raise SystemExit("override failed: " + status)
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#history tbody tr')]"
            ".some((r) => r.dataset.source === 'analyst');"))
        driver.execute_script("document.getElementById('override').scrollIntoView();")
        shot("04_overridden.png")
        print(json.dumps({"pattern_id": pattern_id, "status": status,
                          "screenshots": shots}))
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())

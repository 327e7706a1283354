#!/usr/bin/python3
"""Drives the analyst review console in Debian's headless chromium.

Run by tests/server/console_browser_test.cc (which starts pcs-server, seeds
the database and checks it afterwards); not a test on its own. Loads the
page (the day-one list: every stored pattern, no filter ticked, the sort
order stated, a decision column and a legend), filters (ML and rule
disagree), opens a pattern (plain-language reasons above the chart, their
usual ranges the pattern type's own, how the decision was reached), tries an override without a token (the page must say
what is missing and point at the token field), overrides it (reject with a
reason), checks the history's market dates, and at 1280x800 and 1920x1080
that the page never scrolls sideways (scrollWidth <= innerWidth), nor does
any pane inside it (list, detail, each table box), and that the history's
reasons wrap between words, never inside one. In the server-rendered
snapshots of the listed patterns no text's box (getBBox) meets another text
or a key point's circle. Prints
{"pattern_id": ..., "screenshots": [...]} as the last line on stdout.
Screenshots are written to --out. Exit 0 on success. Bounded: every wait has
a timeout.
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

# Fetches each pattern's snapshots (decision and outcome SVG), draws them
# off-screen and compares the boxes of every <text> with every other <text>
# and every key-point <circle>.
SNAPSHOT_LABEL_CHECK = """
const [ids, done] = arguments;
(async () => {
  const box = document.createElement('div');
  box.style.cssText = 'position:absolute; left:-5000px; top:0; width:800px';
  document.body.appendChild(box);
  const overlaps = [];
  let charts = 0;
  for (const id of ids) {
    const detail = await (await fetch('/api/v1/patterns/' + id)).json();
    for (const snap of detail.snapshots || []) {
      box.innerHTML = await (await fetch(snap.url)).text();
      charts++;
      const texts = [...box.querySelectorAll('text')];
      const marks = texts.concat([...box.querySelectorAll('circle')]);
      const rects = marks.map((e) => e.getBBox());
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < marks.length; j++) {
          const a = rects[i], b = rects[j];
          const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
          const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
          if (dx > 0.5 && dy > 0.5) {
            overlaps.push(id + ' ' + snap.kind + ': "' + texts[i].textContent + '" meets "' +
                          (marks[j].textContent || marks[j].getAttribute('data-role') ||
                           marks[j].getAttribute('class')) + '"');
          }
        }
      }
    }
  }
  box.remove();
  done({ overlaps, charts });
})().catch((e) => done({ error: String(e) }));
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reason", default="browser test: breakout on low volume")
    parser.add_argument("--total", type=int, required=True,
                        help="stored patterns: what the day-one list must count")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    shots = []

    def chart_label_room(where):
        # The interactive chart leaves its level labels ("breakout" left of
        # the price axis: 84 px, console.js's CHART_LABEL_ROOM_PX) empty bars
        # to sit on: from the last candle's centre to the price axis.
        room = driver.execute_script(
            "const ts = state.chart.timeScale();"
            "return ts.width() - ts.logicalToCoordinate(state.chartBars - 1);")
        if room is None or not room >= 84:  # NaN or null: no chart
            raise SystemExit("%s: the chart's level labels cover the last candles "
                             "(%s px from the last candle to the axis, labels 84 px)"
                             % (where, room))

    def shot(name):
        path = os.path.join(args.out, name)
        driver.save_screenshot(path)
        shots.append(path)

    # The page re-renders tables while we poll them: a stale element just
    # means "look again".
    wait = WebDriverWait(driver, WAIT_SECONDS,
                         ignored_exceptions=[StaleElementReferenceException])
    def fits(where):
        sizes = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth];")
        if sizes[0] > sizes[1]:
            raise SystemExit("%s: the page scrolls sideways (scrollWidth %d > innerWidth %d)"
                             % (where, sizes[0], sizes[1]))
        # Nor does any pane scroll sideways inside itself (a clipped column).
        inside = driver.execute_script(
            "return [...document.querySelectorAll('#list-pane, #detail, .table-box')]"
            ".filter((e) => e.scrollWidth > e.clientWidth)"
            ".map((e) => (e.id || e.firstElementChild.id) + ' ' + e.scrollWidth +"
            " ' > ' + e.clientWidth);")
        if inside:
            raise SystemExit("%s: a pane scrolls sideways inside itself: %s" % (where, inside))

    def snapshot_labels_apart(ids):
        # The server-rendered snapshots of these patterns: no text's box
        # (getBBox with the browser's fonts) meets another text or a key
        # point's circle. Returns the number of charts checked.
        result = driver.execute_async_script(SNAPSHOT_LABEL_CHECK, ids)
        if result.get("error"):
            raise SystemExit("snapshot labels: " + result["error"])
        if result["overlaps"]:
            raise SystemExit("snapshot labels overlap: %r" % result["overlaps"][:5])
        return result["charts"]

    def whole_words(where):
        # The history's reasons wrap between words (or after an identifier's
        # "_"), never inside one: each word fits on one line.
        broken = driver.execute_script(
            "const out = [];"
            "for (const td of document.querySelectorAll('#history td.reason')) {"
            "  for (const node of td.childNodes) {"
            "    if (node.nodeType !== Node.TEXT_NODE) continue;"
            "    for (const m of node.data.matchAll(/[^\\s_]+/g)) {"
            "      const r = document.createRange();"
            "      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);"
            "      const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));"
            "      if (tops.size > 1) out.push(m[0]);"
            "    }"
            "  }"
            "}"
            "return out;")
        if broken:
            raise SystemExit("%s: the history breaks words: %r" % (where, broken))

    def resize(width, height):
        driver.set_window_size(width, height)
        # The window's outer size includes no chrome in headless mode, but
        # make sure of the viewport anyway.
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
        driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
        time.sleep(0.3)

    try:
        resize(1280, 800)
        driver.get(args.url + "/console")
        wait.until(lambda d: "patterns match" in d.find_element(By.ID, "list-status").text)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")) > 0)
        total_all = driver.find_element(By.ID, "list-status").text
        # Day one: every stored pattern, the order said, decisions, a legend.
        if not total_all.startswith("%d patterns match" % args.total):
            raise SystemExit("the default list says %r, want all %d patterns"
                             % (total_all, args.total))
        if "newest confirmation first" not in total_all:
            raise SystemExit("the list does not state its order: %r" % total_all)
        decisions = driver.execute_script(
            "return [...document.querySelectorAll('#patterns tbody td.decision')]"
            ".map((c) => c.textContent);")
        if not decisions or not set(decisions) <= {"confirm", "reject"}:
            raise SystemExit("no decision column: %r" % decisions)
        if "disagree" not in driver.find_element(By.ID, "legend").text:
            raise SystemExit("no legend for the colours")
        fits("list at 1280x800")
        shot("01_list_1280x800.png")

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
        # Reasons in plain language above the chart, and how it was decided.
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#reasons li")) > 0)
        reasons = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#reasons li")]
        for text in reasons:
            if "raises confidence" not in text and "lowers confidence" not in text:
                raise SystemExit("a reason is not plain language: %r" % text)
        # A usual range is the pattern type's own ("far for a double top,
        # usual ..."), or said to be all types' where the type has too few.
        ptype = driver.find_element(By.ID, "detail-title").text.split()[1].replace("_", " ")
        ranged = [t for t in reasons if "usual" in t]
        for text in ranged:
            if ("for a " + ptype not in text and "for an " + ptype not in text
                    and "across all pattern types" not in text):
                raise SystemExit("a usual range is neither the %s's nor all types': %r"
                                 % (ptype, text))
        if not any(ptype in text for text in ranged):
            raise SystemExit("no reason gives the %s's own usual range: %r" % (ptype, reasons))
        explained = driver.find_element(By.ID, "decision-explained").text
        if "threshold" not in explained or "Blended confidence" not in explained:
            raise SystemExit("the decision is not explained: %r" % explained)
        above = driver.execute_script(
            "return document.getElementById('reasons').getBoundingClientRect().top <"
            " document.getElementById('contributions').getBoundingClientRect().top;")
        if not above:
            raise SystemExit("the reasons are not above the chart")
        # No label of the snapshots prints over another (this page's rows).
        ids = [r.get_attribute("data-id") for r in
               driver.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")]
        driver.set_script_timeout(WAIT_SECONDS)
        if snapshot_labels_apart(ids) < len(ids):
            raise SystemExit("fewer snapshots than patterns listed")
        time.sleep(0.5)  # let the canvas chart paint before the screenshot
        fits("detail at 1280x800")
        shot("03_detail_1280x800.png")
        driver.execute_script("document.getElementById('snapshots').scrollIntoView();")
        shot("04_detail_charts_1280x800.png")
        driver.execute_script("document.getElementById('price-chart').scrollIntoView();")
        time.sleep(0.3)
        chart_label_room("chart at 1280x800")
        shot("04c_price_chart_1280x800.png")

        # Override without a token: the page says what is missing and where.
        token = driver.find_element(By.ID, "token")
        token.clear()
        driver.find_element(By.ID, "ov-reject").click()
        driver.find_element(By.ID, "ov-reason").send_keys(args.reason)
        driver.find_element(By.ID, "ov-submit").click()
        wait.until(lambda d: "write token" in d.find_element(By.ID, "ov-status").text)
        if "attention" not in driver.find_element(By.ID, "token-label").get_attribute("class"):
            raise SystemExit("the token field is not pointed out")
        if driver.switch_to.active_element.get_attribute("id") != "token":
            raise SystemExit("the token field does not get the focus")
        driver.execute_script("window.scrollTo(0, 0);")
        shot("05_token_missing.png")
        driver.execute_script("document.getElementById('override').scrollIntoView();")
        shot("05b_token_message.png")

        # Override: reject with a reason, with the write token.
        token.send_keys(args.token)
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
        dates = driver.execute_script(
            "return [...document.querySelectorAll('#history tbody tr')]"
            ".map((r) => r.children[1].textContent);")
        if not any(len(d) == 10 and d[4] == "-" for d in dates):
            raise SystemExit("the history shows no market date: %r" % dates)
        driver.execute_script("document.getElementById('override').scrollIntoView();")
        fits("overridden at 1280x800")
        whole_words("overridden at 1280x800")
        shot("06_overridden.png")

        # The big screen: list and detail side by side, still no sideways scroll.
        resize(1920, 1080)
        driver.execute_script("window.scrollTo(0, 0);")
        time.sleep(0.5)
        fits("detail at 1920x1080")
        whole_words("detail at 1920x1080")
        shot("07_detail_1920x1080.png")
        driver.execute_script("document.getElementById('price-chart').scrollIntoView();")
        time.sleep(0.3)
        chart_label_room("chart at 1920x1080")
        shot("08_price_chart_1920x1080.png")
        print(json.dumps({"pattern_id": pattern_id, "status": status,
                          "screenshots": shots}))
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())

"""bitflowd's web page in headless Chromium, driven by Selenium (python3-selenium 4.8).

Run by bitflowd_web.sh, which starts nginx and bitflowd and passes, in the environment:
BITFLOWD_URL, BITFLOWD_TOKEN, NGINX_URL, FILES_DIR (alice's files folder), SHOTS (the
folder for screenshots) and PROFILE (a private Chromium profile). Every wait has a
deadline; a failure prints what was expected and saves a screenshot of the page.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["BITFLOWD_URL"]
TOKEN = os.environ["BITFLOWD_TOKEN"]
NGINX = os.environ["NGINX_URL"]
FILES_DIR = os.environ["FILES_DIR"]
SHOTS = os.environ["SHOTS"]
PROFILE = os.environ["PROFILE"]
WAIT = 30  # seconds for anything the page does; a download gets DOWNLOAD_WAIT
DOWNLOAD_WAIT = 60
RESTARTED = []  # the bitflowd this script started, stopped when it ends


def make_driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        f"--user-data-dir={PROFILE}",
        # Loopback only: every name fails to resolve and no proxy is asked; the
        # background services that would call Google stay off.
        "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-first-run",
        "--disable-domain-reliability", "--disable-client-side-phishing-detection",
        "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
        "--metrics-recording-only", "--no-default-browser-check", "--safebrowsing-disable-auto-update",
    ]:
        opts.add_argument(arg)
    # A phone's screen: 360 CSS pixels wide, as a small Android phone reports.
    opts.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0}})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver",
                      log_path=os.path.join(SHOTS, "..", "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


class Page:
    def __init__(self, driver):
        self.d = driver
        self.shot_number = 0

    def shot(self, name):
        self.shot_number += 1
        self.d.save_screenshot(os.path.join(SHOTS, f"{self.shot_number:02d}-{name}.png"))

    def until(self, what, check, seconds=WAIT):
        try:
            return WebDriverWait(self.d, seconds, poll_frequency=0.1).until(lambda _: check())
        except TimeoutException:
            self.shot("failed")
            raise AssertionError(f"not within {seconds} s: {what}") from None

    def by_id(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def text(self, element_id):
        return self.by_id(element_id).text

    def visible(self, element_id):
        return self.by_id(element_id).is_displayed()

    def click(self, element_id):
        self.until(f"#{element_id} to be clickable",
                   lambda: self.visible(element_id) and self.by_id(element_id).is_enabled())
        self.by_id(element_id).click()

    def rows(self):
        """The downloads list as {name: {state, progress, id}} (from the DOM)."""
        return self.d.execute_script("""
            const out = {};
            for (const li of document.querySelectorAll('#downloads li.row'))
              out[li.querySelector('.name').textContent] = {
                id: li.dataset.id, state: li.dataset.state,
                progress: li.querySelector('progress').value,
                percent: li.querySelector('.percent').textContent};
            return out;""")

    def row_state(self, name):
        row = self.rows().get(name)
        return row["state"] if row else None

    def row_button(self, name, cls):
        row = self.rows()[name]
        return self.d.find_element(By.CSS_SELECTOR, f'#downloads li[data-id="{row["id"]}"] .{cls}')

    def tab(self, name):
        self.click(f"tab-{name}")
        self.until(f"tab {name} selected",
                   lambda: self.by_id(f"tab-{name}").get_attribute("aria-selected") == "true")

    def add_through_dialog(self, url, expect_type, expect_files, row_name, uncheck=(), upload=None):
        """Adds `url` (or the .torrent file `upload`) through the "+" dialog: its inspection
        shows `expect_type` and `expect_files` (all checked); the files in `uncheck` are
        unticked before "Add"."""
        self.click("add-button")
        self.until("the add dialog to open", lambda: self.by_id("add-dialog").get_attribute("open") is not None)
        if upload:
            self.by_id("add-file").send_keys(upload)
        else:
            self.by_id("add-url").send_keys(url)
            self.click("inspect-button")
        self.until("the inspection to show", lambda: self.visible("inspection"))
        assert self.text("inspect-type") == expect_type, self.text("inspect-type")
        files = self.d.find_elements(By.CSS_SELECTOR, "#inspect-files li")
        names = [f.find_element(By.TAG_NAME, "label").text for f in files]
        assert names == expect_files, f"inspect files {names}, not {expect_files}"
        sizes = [f.find_element(By.CSS_SELECTOR, ".size").text for f in files]
        assert all(sizes), f"inspect sizes {sizes}"
        boxes = [f.find_element(By.CSS_SELECTOR, "input[type=checkbox]") for f in files]
        assert all(b.is_selected() for b in boxes), "the files are not all checked"
        for name, box in zip(names, boxes):
            if name in uncheck:
                box.click()
                assert not box.is_selected(), f"{name} is still checked"
        self.shot(f"inspect-{row_name}")
        self.click("add-confirm")
        self.until("the add dialog to close", lambda: self.by_id("add-dialog").get_attribute("open") is None)
        self.until(f"{row_name} to appear in the list", lambda: row_name in self.rows())

    def until_completed(self, name):
        self.until(f"{name} completed at 100 %",
                   lambda: (self.rows().get(name) or {}).get("state") == "completed"
                   and self.rows()[name]["progress"] == 100
                   and self.rows()[name]["percent"] == "100 %", DOWNLOAD_WAIT)


def deadline_wait(what, check, seconds=WAIT):
    """For things outside the browser: polls `check` until true or the deadline."""
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)  # poll interval of a deadline-bounded wait


def restart_bitflowd(log):
    """SIGTERM to the running bitflowd, then the same command line again."""
    pid = int(os.environ["BITFLOWD_PID"])
    os.kill(pid, signal.SIGTERM)

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True
    deadline_wait("the old bitflowd to exit", gone)
    out = open(log, "w")
    RESTARTED.append(subprocess.Popen(os.environ["BITFLOWD_CMD"].split("\n"), stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    with open(os.environ["RESTARTED_PID_FILE"], "w") as f:  # for the shell's cleanup
        f.write(str(RESTARTED[-1].pid))
    deadline_wait("bitflowd to listen again", lambda: "listening on" in open(log).read())


def api_add(url):
    """POST /downloads from outside the page: only its event stream can show it."""
    req = urllib.request.Request(BASE + "/downloads", method="POST",
                                 data=json.dumps({"url": url}).encode(),
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        assert r.status == 201, r.status


def check_labels(page):
    """Every control has an accessible name: a <label for>, aria-label or its text."""
    unnamed = page.d.execute_script("""
        const bad = [];
        for (const c of document.querySelectorAll('button, input, select, textarea')) {
          const named = (c.id && document.querySelector(`label[for="${c.id}"]`)) ||
                        c.getAttribute('aria-label') || c.textContent.trim();
          if (!named) bad.push(c.outerHTML);
        }
        return bad;""")
    assert not unnamed, f"controls without a label: {unnamed}"


def check_fits(page, view):
    width = page.d.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];")
    assert width[0] <= width[1], f"{view} is wider than the phone-sized window: {width}"


def run(page):
    d = page.d
    d.get(BASE + "/")
    page.until("the login form", lambda: page.visible("login-view"))
    check_labels(page)
    page.shot("login")

    print("-- a wrong token is refused with a message")
    page.by_id("token").send_keys("bf_wrong")
    page.click("login-button")
    page.until("the error for a wrong token",
               lambda: page.visible("error") and "not valid" in page.text("error"))
    assert d.execute_script("return sessionStorage.length") == 0

    print("-- logging in with the token keeps it in sessionStorage, never in the URL")
    page.by_id("token").clear()
    page.by_id("token").send_keys(TOKEN)
    page.click("login-button")
    page.until("the downloads view", lambda: page.visible("downloads-view"))
    page.until("the live event stream", lambda: page.text("live") == "live")
    assert not page.visible("error"), page.text("error")
    assert d.execute_script("return sessionStorage.getItem('bitflowd.token')") == TOKEN
    assert TOKEN not in d.current_url, d.current_url
    check_fits(page, "the downloads view")

    print("-- an HTTP download added through the dialog completes in the list")
    page.add_through_dialog(NGINX + "/video.mp4", "http", ["video.mp4"], "video.mp4")
    page.until_completed("video.mp4")

    print("-- a completed file's signed link, and a player for it")
    page.row_button("video.mp4", "show-files").click()
    row_id = page.rows()["video.mp4"]["id"]
    panel = f'#downloads li[data-id="{row_id}"] .file-panel'
    page.until("the file list of video.mp4", lambda: d.find_element(By.CSS_SELECTOR, panel).is_displayed())
    d.find_element(By.CSS_SELECTOR, panel + " button.link").click()
    page.until("the signed link", lambda: d.find_elements(By.CSS_SELECTOR, panel + " a.open"))
    href = d.find_element(By.CSS_SELECTOR, panel + " a.open").get_attribute("href")
    assert "signature=" in href and TOKEN not in href, href
    with urllib.request.urlopen(href, timeout=WAIT) as r:  # no token: the signature is enough
        served = r.read()
    with open(os.path.join(os.environ["WWW_DIR"], "video.mp4"), "rb") as f:
        assert served == f.read(), "the signed link serves other bytes"
    player = d.find_element(By.CSS_SELECTOR, panel + " video")
    assert player.get_attribute("src") == href, player.get_attribute("src")
    check_labels(page)
    page.shot("file-link")

    print("-- a .torrent URL: its files picked in the dialog, one left out")
    page.add_through_dialog(NGINX + "/pick.torrent", "torrent", ["pick/big.bin", "pick/notes.txt"],
                            "pick", uncheck=("pick/notes.txt",))
    page.until_completed("pick")

    print("-- a magnet link: inspected (no files before its metadata), added, completed")
    page.add_through_dialog(os.environ["MAGNET"], "magnet", [], "mag")
    assert page.by_id("inspect-nofiles").get_attribute("hidden") is None, "no hint for a magnet's files"
    page.until_completed("mag")

    print("-- a file that is no torrent is refused in the dialog, saying so")
    page.click("add-button")
    page.until("the add dialog to open", lambda: page.by_id("add-dialog").get_attribute("open") is not None)
    page.by_id("add-file").send_keys(os.path.join(os.environ["WWW_DIR"], "after.bin"))
    page.until("the dialog's error", lambda: page.visible("add-error")
               and "after.bin is not a torrent file" in page.text("add-error"))
    assert not page.by_id("add-confirm").is_enabled(), "Add is enabled for a file that is no torrent"
    page.click("add-cancel")
    page.until("the add dialog to close", lambda: page.by_id("add-dialog").get_attribute("open") is None)

    print("-- a .torrent file chosen in the dialog: read in the page, uploaded, one file left out")
    page.add_through_dialog(None, "torrent file", ["up/one.bin", "up/two.txt"], "up",
                            uncheck=("up/two.txt",), upload=os.environ["UPLOAD_TORRENT"])
    page.until_completed("up")
    page.shot("completed")

    print("-- the filter tabs")
    page.tab("finished")
    page.until("both under finished", lambda: set(page.rows()) == {"video.mp4", "pick", "mag", "up"})
    page.tab("active")
    page.until("nothing under active", lambda: page.rows() == {} and page.visible("downloads-empty"))
    page.tab("queued")
    page.until("nothing under queued", lambda: page.rows() == {})
    page.tab("all")
    page.until("video.mp4 under all", lambda: "video.mp4" in page.rows())

    print("-- a throttled download: live progress, pause, resume, delete")
    page.add_through_dialog(NGINX + "/slow/slow.bin", "http", ["slow.bin"], "slow.bin")
    page.until("slow.bin downloading with progress from /events",
               lambda: page.row_state("slow.bin") == "downloading"
               and (page.rows()["slow.bin"]["progress"] or 0) > 0, DOWNLOAD_WAIT)
    # From here only progress events arrive, and they move the bar without a list fetch.
    d.execute_script("""
        window.listFetches = 0;
        const original = window.fetch;
        window.fetch = (url, init) => {
          if (String(url).startsWith('/downloads?')) ++window.listFetches;
          return original(url, init);
        };""")
    start = page.rows()["slow.bin"]["progress"]
    page.until("the bar moving by two points", lambda: page.rows()["slow.bin"]["progress"] >= start + 2,
               DOWNLOAD_WAIT)
    fetched = d.execute_script("return window.listFetches")
    assert fetched == 0, f"the bar moved with {fetched} list fetches, not by /events alone"
    page.tab("active")
    page.until("slow.bin under active", lambda: list(page.rows()) == ["slow.bin"])
    page.shot("active")
    page.tab("all")
    page.until("slow.bin under all", lambda: "slow.bin" in page.rows())
    page.row_button("slow.bin", "pause").click()
    page.until("slow.bin paused", lambda: page.row_state("slow.bin") == "paused")
    page.until("the resume button", lambda: page.row_button("slow.bin", "resume").is_displayed())
    page.shot("paused")
    page.row_button("slow.bin", "resume").click()
    page.until("slow.bin running again",
               lambda: page.row_state("slow.bin") in ("queued", "downloading"))
    page.until("slow.bin downloading again", lambda: page.row_state("slow.bin") == "downloading",
               DOWNLOAD_WAIT)
    page.row_button("slow.bin", "delete").click()
    page.until("slow.bin removed", lambda: page.row_state("slow.bin") in ("removed", None))
    page.tab("active")
    page.until("nothing under active after the delete", lambda: page.rows() == {})
    assert not page.visible("error"), page.text("error")

    print("-- the event stream reconnects with Last-Event-ID after bitflowd restarts")
    page.tab("all")
    d.execute_script("""
        window.eventsRequests = [];
        const original = window.fetch;
        window.fetch = (url, init) => {
          if (url === '/events') window.eventsRequests.push((init.headers || {})['Last-Event-ID'] || '');
          return original(url, init);
        };""")
    restart_bitflowd(os.path.join(SHOTS, "..", "bitflowd.restarted.log"))
    page.until("the stream reconnected", lambda: page.text("live") == "live"
               and d.execute_script("return window.eventsRequests.length") > 0, DOWNLOAD_WAIT)
    sent = d.execute_script("return window.eventsRequests")
    assert sent[0], f"the reconnect sent no Last-Event-ID: {sent}"
    api_add(NGINX + "/after.bin")
    page.until("a download added through the API arriving by /events", lambda: "after.bin" in page.rows())
    page.until_completed("after.bin")
    page.shot("reconnected")

    print("-- the history and its clearing")
    page.click("nav-history")
    page.until("the six downloads in the history", lambda: {
        r.text.split("\n")[0] for r in d.find_elements(By.CSS_SELECTOR, "#history li.row")
    } >= {"video.mp4", "pick", "mag", "up", "slow.bin", "after.bin"})
    check_fits(page, "the history view")
    page.shot("history")
    page.click("clear-history")
    page.until("the history cleared",
               lambda: page.text("history-status").startswith("Cleared 6 ")
               and not d.find_elements(By.CSS_SELECTOR, "#history li.row"))
    page.click("nav-history")
    page.until("the history empty after a reload", lambda: page.text("history-status") == "The history is empty.")

    print("-- the settings: the download location, and an error shown as text")
    page.click("nav-settings")
    page.until("the resolved location", lambda: page.text("resolved-location") == FILES_DIR)
    check_labels(page)
    box = page.by_id("download-location")
    box.clear()
    box.send_keys("media")
    page.click("save-settings")
    page.until("the saved location", lambda: page.text("settings-status") == "Saved."
               and page.text("resolved-location") == FILES_DIR + "/media")
    page.shot("settings")
    box.clear()
    box.send_keys("../escape")
    page.click("save-settings")
    page.until("the API's 400 shown", lambda: page.visible("error") and "(400)" in page.text("error"))
    page.shot("settings-error")

    print("-- logging out forgets the token")
    page.click("logout")
    page.until("the login form again", lambda: page.visible("login-view"))
    assert d.execute_script("return sessionStorage.length") == 0

    requested = set()
    for entry in d.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    # chrome:// is the browser's own start page, not the network.
    elsewhere = [u for u in requested if u.split(":")[0] in ("http", "https", "ws", "wss", "ftp")
                 and not u.startswith(BASE + "/")]
    assert not elsewhere, f"the page asked for more than bitflowd: {elsewhere}"
    assert BASE + "/app.js" in requested, f"the network log is empty? {sorted(requested)[:5]}"

    problems = [e for e in d.get_log("browser")
                if e["level"] == "SEVERE" and "Content Security Policy" in e["message"]]
    assert not problems, f"CSP violations: {problems}"


def main():
    try:
        driver = make_driver()
    except WebDriverException as e:
        print(f"FAIL: chromium did not start: {e}", file=sys.stderr)
        return 1
    page = Page(driver)
    try:
        run(page)
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for entry in driver.get_log("browser"):
            print(f"browser: {entry['level']} {entry['message']}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
        for p in RESTARTED:
            p.terminate()
            p.wait(timeout=WAIT)
            os.remove(os.environ["RESTARTED_PID_FILE"])  # stopped: nothing left for the shell
    print("the web page works in chromium")
    return 0


if __name__ == "__main__":
    sys.exit(main())

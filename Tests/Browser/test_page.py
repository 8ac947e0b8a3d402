"""The web page of `vecdb serve`, driven in Debian's headless Chromium by selenium against the real server.

Usage: test_page.py BASE_URL VECDB_BINARY [SCREENSHOT_DIR]   (scripts/test-browser starts the server and runs this)

Expected values come from the API and from `vecdb compare --json`, never from the page itself: the page must show
what they say. Every request the page makes is read from Chromium's network log and must go to BASE_URL.
"""
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE, VECDB = sys.argv[1].rstrip("/"), sys.argv[2]
SHOTS = sys.argv[3] if len(sys.argv) > 3 else None
GPU = "A graphics processing unit (GPU)"
OPENAI = "OpenAI is based at San Francisco."


def api(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data, {"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--disable-background-networking", "--no-first-run"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def requested_urls(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait_ready(driver):
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("ready", "error"))


def column_cards(driver, model):
    return driver.find_elements(By.CSS_SELECTOR, f'#columns .column[data-model="{model}"] .card')


def check_badges(driver, question, models):
    """Every badge says the rank the API's own multi-model ranking gives, and the movement that rank implies."""
    truth = api("POST", "/v1/query", {"text": question, "models": models, "k": 10})
    checked = 0
    for model in models:
        cards = column_cards(driver, model)
        assert len(cards) == len(truth["models"][model]), (model, len(cards))
        for rank, (card, expected) in enumerate(zip(cards, truth["models"][model]), start=1):
            assert card.get_attribute("data-id") == str(expected["id"]), (model, rank)
            for other in models:
                if other == model:
                    continue
                badge = card.find_element(By.CSS_SELECTOR, f'.badge[data-model="{other}"]')
                there = expected["ranks"][other]
                assert badge.get_attribute("data-rank") == ("none" if there is None else str(there)), (model, rank, other)
                moved = rank - there
                arrow = f"↑{moved}" if moved > 0 else f"↓{-moved}" if moved < 0 else "="
                assert badge.text == f"{other} #{there} {arrow}", (badge.text, model, rank, other)
                checked += 1
    return checked


def main():
    driver = browser()
    try:
        # Ask: a URL alone renders the comparison.
        question = "What is GPU?"
        driver.get(BASE + "/?q=" + urllib.parse.quote(question) + "&models=minilm,smollm2")
        WebDriverWait(driver, 60).until(lambda d: column_cards(d, "minilm") and column_cards(d, "smollm2"))
        wait_ready(driver)
        assert GPU in column_cards(driver, "minilm")[0].text, column_cards(driver, "minilm")[0].text
        print(f"ask: the GPU answer ranks first under minilm; {check_badges(driver, question, ['minilm', 'smollm2'])} badges agree with the API")
        # Hovering a document highlights it in every column.
        first = column_cards(driver, "minilm")[0]
        webdriver.ActionChains(driver).move_to_element(first).perform()
        highlighted = driver.find_elements(By.CSS_SELECTOR, f'.card.highlight[data-id="{first.get_attribute("data-id")}"]')
        assert len(highlighted) == 2, len(highlighted)
        if SHOTS:
            driver.save_screenshot(f"{SHOTS}/web-ask.png")

        # A new question, typed, then Enter.
        box = driver.find_element(By.ID, "q")
        box.clear()
        box.send_keys("Where is the headquarter of OpenAI?", Keys.ENTER)
        WebDriverWait(driver, 60).until(lambda d: "headquarter" in urllib.parse.unquote(d.current_url))
        WebDriverWait(driver, 60).until(lambda d: column_cards(d, "minilm") and OPENAI in column_cards(d, "minilm")[0].text)
        wait_ready(driver)
        check_badges(driver, "Where is the headquarter of OpenAI?", ["minilm", "smollm2"])
        print("ask: Enter on a new question updates the URL and both columns")

        # Compare: the seed's 2×2 numbers are those of `vecdb compare --json`.
        driver.get(BASE + "/?view=compare&models=minilm,smollm2")
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#matrices .column[data-model="smollm2"] td'))
        reference = json.loads(subprocess.run([VECDB, "compare", "--models", "minilm,smollm2", "--json"], check=True,
                                              capture_output=True, text=True).stdout)
        for model in ["minilm", "smollm2"]:
            for i in range(2):
                for j in range(2):
                    cell = driver.find_element(By.CSS_SELECTOR, f'#matrices .column[data-model="{model}"] td[data-q="{i}"][data-a="{j}"]')
                    expected = reference["models"][model]["similarities"][i][j]
                    assert float(cell.get_attribute("data-value")) == expected, (model, i, j, cell.get_attribute("data-value"), expected)
                    assert cell.text.split()[0] == f"{expected:.4f}", (model, i, j, cell.text)
        print("compare: the 2×2 matrices of minilm and smollm2 equal `vecdb compare --json`")
        if SHOTS:
            driver.save_screenshot(f"{SHOTS}/web-compare.png")

        # Browse: pages of documents, a filter, and a bad filter's error in words.
        driver.get(BASE + "/?view=browse")
        wait_ready(driver)
        total = api("GET", "/v1/documents?limit=1")["total"]
        assert len(driver.find_elements(By.CSS_SELECTOR, "#documents tbody tr")) == min(total, 20)
        field = driver.find_element(By.ID, "browse-where")
        field.send_keys('{"topic": "hardware"}', Keys.ENTER)
        WebDriverWait(driver, 30).until(lambda d: "hardware" in urllib.parse.unquote(d.current_url))
        wait_ready(driver)
        expected_ids = [str(d["id"]) for d in api("GET", "/v1/documents?where=" + urllib.parse.quote('{"topic": "hardware"}'))["documents"]]
        shown = [row.get_attribute("data-id") for row in driver.find_elements(By.CSS_SELECTOR, "#documents tbody tr")]
        assert shown == expected_ids, (shown, expected_ids, driver.find_element(By.ID, "error").text, driver.current_url)
        if SHOTS:
            driver.save_screenshot(f"{SHOTS}/web-browse.png")
        bad = '{"year": {"$gt": }'
        field = driver.find_element(By.ID, "browse-where")
        field.clear()
        field.send_keys(bad, Keys.ENTER)
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "error").is_displayed())
        message = api("GET", "/v1/documents?where=" + urllib.parse.quote(bad))["error"]["message"]
        assert message in driver.find_element(By.ID, "error").text, (message, driver.find_element(By.ID, "error").text)
        print(f"browse: filtered rows equal the API's; a bad where shows '{message}'")

        # A document's page: its neighbours in each space.
        driver.get(BASE + "/?view=doc&id=" + expected_ids[0])
        wait_ready(driver)
        truth = api("GET", f"/v1/documents/{expected_ids[0]}/neighbors?k=5")
        for name in truth["order"]:
            shown = [c.get_attribute("data-id") for c in driver.find_elements(By.CSS_SELECTOR, f'#neighbors .column[data-model="{name}"] .card')]
            assert shown == [str(n["id"]) for n in truth["neighbors"][name]], (name, shown)
        print(f"doc: neighbours in {', '.join(truth['order'])} equal the API's")

        # Phone width: nothing wider than the screen.
        driver.set_window_size(390, 844)
        driver.get(BASE + "/?q=" + urllib.parse.quote(question) + "&models=minilm,smollm2")
        wait_ready(driver)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a 390 px screen"
        print("phone: no horizontal overflow at 390 px")

        urls = requested_urls(driver)
        outside = [url for url in urls if not url.startswith(BASE + "/") and not url.startswith("data:")]
        assert not outside, outside
        assert any(url.startswith(BASE + "/v1/") for url in urls)
        print(f"network: {len(urls)} requests, all to {BASE}")
    finally:
        driver.quit()
    print("browser test: passed")


if __name__ == "__main__":
    main()

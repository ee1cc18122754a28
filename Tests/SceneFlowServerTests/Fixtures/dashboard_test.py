#!/usr/bin/env python3
"""The dashboard in a real browser (Debian's Chromium through Selenium), as a user works:
hydrate a product from the Hydrate page, watch the run, play the final cut, regenerate a frame,
edit a template and see its diagnostics. Usage: dashboard_test.py BASE_URL PRODUCT_IMAGE.
Prints one line per check; exits 1 on the first failure (with the page's text)."""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, PRODUCT = sys.argv[1], sys.argv[2]


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
                 "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, message, driver=None):
    if not condition:
        text = driver.find_element(By.TAG_NAME, "body").text[:2000] if driver else ""
        print(f"FAIL {message}\n--- page ---\n{text}", flush=True)
        sys.exit(1)
    print(f"ok   {message}", flush=True)


def by_label(driver, label):
    return driver.find_element(By.CSS_SELECTOR, f'[aria-label="{label}"]')


def wait(driver, seconds, condition, message):
    try:
        return WebDriverWait(driver, seconds).until(condition)
    except TimeoutException:
        check(False, message, driver)


def other_origins(driver):
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [e for e in entries if not (e.startswith(BASE) or e.startswith("data:"))]


driver = browser()
try:
    # The home page lists the templates.
    driver.get(BASE + "/")
    wait(driver, 20, EC.presence_of_element_located((By.CSS_SELECTOR, '[aria-label="Templates"] li')), "the home page lists templates")
    check("unboxing" in driver.find_element(By.TAG_NAME, "main").text, "the unboxing template is listed", driver)

    # Hydrate: disabled, with the reason, until the required slot has a file.
    driver.get(BASE + "/templates/unboxing/hydrate?product_id=shop-1")
    button = wait(driver, 20, EC.presence_of_element_located((By.XPATH, "//button[normalize-space()='Hydrate']")), "the Hydrate button")
    wait(driver, 20, lambda d: "product_1" in d.find_element(By.ID, "reason").text, "the reason names the empty slot")
    check(not button.is_enabled(), "Hydrate is disabled while product_1 is empty", driver)
    by_label(driver, "product_1").send_keys(PRODUCT)
    wait(driver, 10, lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Hydrate']").is_enabled(), "Hydrate is enabled once the slot has a file")
    check("Estimate" in driver.find_element(By.ID, "plan").text, "the plan's estimate is shown", driver)
    driver.find_element(By.XPATH, "//button[normalize-space()='Hydrate']").click()

    # The run page follows the run to its end and plays the final cut.
    wait(driver, 30, EC.url_contains("/runs/"), "the run page opens")
    run_url = driver.current_url
    video = wait(driver, 180, EC.presence_of_element_located((By.CSS_SELECTOR, 'video[aria-label="Final video"]')), "the final video appears")
    wait(driver, 30, lambda d: d.execute_script("return arguments[0].readyState >= 1 && arguments[0].duration > 1", video), "the final video loads and has a duration")
    check("succeeded" in driver.find_element(By.ID, "summary").text, "the run succeeded", driver)
    check(not other_origins(driver), f"the run page loads nothing from other origins: {other_origins(driver)}", driver)
    report = json.load(urllib.request.urlopen(BASE + "/api/v1/runs/" + run_url.rstrip("/").split("/")[-1]))
    check(report["product_id"] == "shop-1", "the run is the product's", driver)

    # Regenerate a frame: a new run, with a new take of that frame.
    by_label(driver, "Regenerate hook.first_frame").click()
    wait(driver, 30, lambda d: d.current_url != run_url and "/runs/" in d.current_url, "regenerating opens a new run")
    wait(driver, 180, EC.presence_of_element_located((By.CSS_SELECTOR, 'video[aria-label="Final video"]')), "the regenerated run finishes")
    row = wait(driver, 20, EC.presence_of_element_located((By.XPATH, "//tr[td[1][text()='hook.first_frame']]")), "the frame's row")
    check(row.find_elements(By.TAG_NAME, "td")[3].text == "2", f"the regenerated frame is take 2 (row: {row.text})", driver)

    # The editor: a broken reference is reported next to the text, and saving keeps the work.
    driver.get(BASE + "/templates/unboxing")
    area = wait(driver, 20, EC.presence_of_element_located((By.ID, "editor")), "the editor")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram img"), "the diagram is drawn")
    # The form edits the same text: a model chosen from the registry, a scene moved down.
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-label="Model for video"] option'), "the model dropdowns are filled")
    Select(by_label(driver, "Model for video")).select_by_value("local/ffmpeg-clip")
    wait(driver, 10, lambda d: json.loads(d.find_element(By.ID, "editor").get_attribute("value")).get("models", {}).get("video") == "local/ffmpeg-clip",
         "choosing a video model writes it into the template")
    first = json.loads(area.get_attribute("value"))["scenes"][0]["id"]
    by_label(driver, f"Move {first} down").click()
    wait(driver, 10, lambda d: json.loads(d.find_element(By.ID, "editor").get_attribute("value"))["scenes"][1]["id"] == first,
         "moving a scene down reorders the template")
    text = area.get_attribute("value").replace('"avatar": "maya"', '"avatar": "nobody"', 1)
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", area, text)
    wait(driver, 20, lambda d: "unknown-avatar" in d.find_element(By.ID, "diagnostics").text, "the broken reference is reported")
    driver.find_element(By.XPATH, "//button[normalize-space()='Save']").click()
    wait(driver, 20, lambda d: "errors to fix" in d.find_element(By.ID, "status").text, "an invalid template is saved and flagged")
    saved = json.load(urllib.request.urlopen(BASE + "/api/v1/templates/unboxing"))
    check(any(d["code"] == "unknown-avatar" for d in saved["diagnostics"]), "the saved file holds the edit", driver)
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
    check(not errors, f"no errors in the browser console: {errors[:3]}", driver)
    print("PASS", flush=True)
finally:
    driver.quit()

#!/usr/bin/env python3
"""A failure in the dashboard, as a user meets it: a product's file stored from the product
page, a frame whose provider refuses that image (the loopback fal answers 422 naming
image_urls[2]), the failure shown in place and in words, `Retry <node>` (fails again), then
`Replace <slot>` (upload and retry just that node), which succeeds.

Usage: dashboard_failure_test.py BASE_URL PRODUCT_IMAGE SHOTS_DIR
Prints one line per check; exits 1 on the first failure."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_support import browser, by_id, by_name, check, click, shot, store_on_product_page, unlabelled, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

BASE, PRODUCT, SHOTS = sys.argv[1:4]


def api(path, body=None):
    request = urllib.request.Request(BASE + "/api/v1" + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"}, method="POST" if body is not None else "GET")
    return json.load(urllib.request.urlopen(request))


def finished(driver, run):
    wait(driver, 120, lambda d: api(f"/runs/{run}")["status"] != "running", f"run {run} ends")
    wait(driver, 20, lambda d: d.find_element(By.ID, "summary").text.split(" ")[0] in ("succeeded", "failed", "partial"), "the page shows the end")


driver = browser(SHOTS)
try:
    # A product's file, stored from the product page (no template involved).
    store_on_product_page(driver, BASE, "p1", "product_1", PRODUCT)

    first = api("/runs", {"template": "unboxing", "product_id": "p1", "targets": ["hook.first_frame"]})["id"]
    driver.get(BASE + "/runs/" + first)
    finished(driver, first)
    summary = by_id(driver, "summary").text
    check("failed: hook.first_frame" in summary, f"the header says what failed: {summary}", driver)
    problems = wait(driver, 20, lambda d: d.find_element(By.CSS_SELECTOR, 'section[aria-label="What failed"]'), "a What failed section")
    text = problems.text
    check("hook.first_frame failed" in text and "image_urls.2: Could not load the image" in text, f"the failure is in words, with the provider's reason: {text}", driver)
    check('The trouble is the product\'s file for slot "product_1"' in text, f"and says which input is at fault, and what to do: {text}", driver)
    for raw in ("NSCocoaErrorDomain", "Error Domain", "UserInfo", "/tmp/", "/ws/"):
        check(raw not in driver.find_element(By.TAG_NAME, "body").text, f"no {raw} on the page", driver)
    card = driver.find_element(By.CSS_SELECTOR, 'article[aria-label="hook.first_frame"]')
    check("failed" in card.get_attribute("class") and "Could not load the image" in card.text, "the failed node stays in place on the storyboard", driver)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 1, f"the error fits its card ({overflow} px sideways)", driver)
    check(driver.find_elements(By.XPATH, "//button[normalize-space()='Retry hook.first_frame']"), "a Retry hook.first_frame control", driver)
    check(by_name(driver, "Replace product_1", "input") is not None, "a Replace product_1 control (the input the provider refused)", driver)
    check(by_name(driver, "Retry hook.first_frame", "button") is not None, "named Retry hook.first_frame for assistive technology too", driver)
    check(not unlabelled(driver), f"every control has a label: {unlabelled(driver)[:3]}", driver)
    shot(driver, "failure-readable")

    # Retry: the provider refuses again; a new run, failed the same way.
    click(driver, "//button[normalize-space()='Retry hook.first_frame']", "Retry")
    wait(driver, 30, lambda d: first not in d.current_url, "Retry starts a new run")
    second = driver.current_url.rstrip("/").split("/")[-1]
    finished(driver, second)
    check(api(f"/runs/{second}")["status"] in ("failed", "partial"), "the retried node failed again (the provider still refuses)")
    made = [n["id"] for n in api(f"/runs/{second}")["nodes"] if n.get("job") and n["status"] not in ("skipped",)]
    check(made == ["hook.first_frame"], f"Retry ran just that node: {made}")

    # Replace: upload another file for the slot, and retry just that node.
    replace = wait(driver, 20, lambda d: by_name(d, "Replace product_1", "input"), "Replace again")
    replace.send_keys(PRODUCT)
    wait(driver, 30, lambda d: second not in d.current_url, "Replace uploads and starts a new run")
    third = driver.current_url.rstrip("/").split("/")[-1]
    finished(driver, third)
    report = api(f"/runs/{third}")
    node = next(n for n in report["nodes"] if n["id"] == "hook.first_frame")
    check(node["status"] == "succeeded", f"after Replace the frame is made: {node.get('error')}")
    wait(driver, 20, lambda d: not d.find_elements(By.CSS_SELECTOR, 'section[aria-label="What failed"] li'), "nothing is left failed")
    shot(driver, "failure-fixed")
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")
              and "422" not in e.get("message", "")]
    check(not errors, f"no errors in the browser console: {errors[:3]}", driver)
    print("PASS", flush=True)
finally:
    driver.quit()

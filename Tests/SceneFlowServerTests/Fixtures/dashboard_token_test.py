#!/usr/bin/env python3
"""The dashboard on a server that needs a token (SCENEFLOW_TOKEN), in Chromium: the page asks
for the token once, a wrong one is refused, the right one shows the templates; the token never
appears in the page. Usage: dashboard_token_test.py BASE_URL TOKEN. Exits 1 on a failure."""
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, TOKEN = sys.argv[1], sys.argv[2]
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800"):
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, message):
    if not condition:
        print(f"FAIL {message}\n--- page ---\n{driver.find_element(By.TAG_NAME, 'body').text[:2000]}", flush=True)
        sys.exit(1)
    print(f"ok   {message}", flush=True)


def wait(seconds, condition, message):
    try:
        return WebDriverWait(driver, seconds).until(condition)
    except TimeoutException:
        check(False, message)


def give(token):
    field = wait(20, lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="Access token"]'), "the page asks for the access token")
    field.clear()
    field.send_keys(token)
    driver.find_element(By.XPATH, "//button[normalize-space()='Use token']").click()


try:
    driver.get(BASE + "/")
    give("not-the-token")
    wait(20, lambda d: "not accepted" in d.find_element(By.TAG_NAME, "body").text, "a wrong token is refused and asked again")
    give(TOKEN)
    wait(20, lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-label="Templates"] li'), "with the token the templates are listed")
    driver.get(BASE + "/templates/unboxing")
    wait(20, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram img"), "the cookie carries the token to later pages: the editor loads")
    check(TOKEN not in driver.page_source, "the token is not in the page")
    print("PASS", flush=True)
finally:
    driver.quit()

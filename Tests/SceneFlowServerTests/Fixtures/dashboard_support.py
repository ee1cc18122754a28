"""What the dashboard's browser tests share: a headless Chromium, checks that print one line
each and stop at the first failure (with a screenshot and the page's text), screenshots per
step, and waits that outlast the page redrawing itself."""
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

SHOTS = [None]
step = [0]
seen_pages = []


def browser(shots):
    SHOTS[0] = shots
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
                 "--autoplay-policy=no-user-gesture-required", "--window-size=1280,800"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, message, driver=None):
    if not condition:
        text = driver.find_element(By.TAG_NAME, "body").text[:3000] if driver else ""
        if driver:
            shot(driver, "failure")
        print(f"FAIL {message}\n--- page ---\n{text}", flush=True)
        sys.exit(1)
    print(f"ok   {message}", flush=True)


def shot(driver, name):
    """A full-page screenshot of the current step."""
    step[0] += 1
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 5000)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(800, height))
    driver.save_screenshot(os.path.join(SHOTS[0], f"{step[0]:02d}-{name}.png"))
    driver.set_window_size(width, 800)
    seen_pages.append(driver.page_source)


def by_label(driver, label):
    return driver.find_element(By.CSS_SELECTOR, f'[aria-label="{label}"]')


def by_name(driver, name, selector="input, button, select, textarea, a, [role]"):
    """The first control whose accessible name (as the browser computes it: a label, an
    aria-label, its text) is `name`, or None."""
    for element in driver.find_elements(By.CSS_SELECTOR, selector):
        if element.accessible_name == name:
            return element
    return None


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def wait(driver, seconds, condition, message):
    def safe(d):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return False
    try:
        return WebDriverWait(driver, seconds).until(safe)
    except TimeoutException:
        check(False, message, driver)


def settle(driver):
    """Waits until the editor has no validation in flight and no redraw due (its form's
    data-pending), as a user waits for the page to catch up."""
    wait(driver, 30, lambda d: d.execute_script("const f = document.getElementById('form'); return !f || !f.dataset.pending"),
         "the editor settles")


def retry(driver, message, action):
    """Does `action` on a settled page, again if the page redrew its element meanwhile."""
    for _ in range(8):
        settle(driver)
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.2)
    check(False, message, driver)


def type_into(driver, element_id, text, blur=True):
    def act():
        field = wait(driver, 10, lambda d: d.find_element(By.ID, element_id), f"the field {element_id}")
        # As a user replaces a value: select it all, type over it.
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text)
        if blur:
            driver.execute_script("arguments[0].dispatchEvent(new Event('change')); arguments[0].blur()", field)
    retry(driver, f"typing into {element_id}", act)
    settle(driver)


def choose(driver, element_id, value, message):
    retry(driver, message, lambda: Select(wait(driver, 10, lambda d: d.find_element(By.ID, element_id), message)).select_by_value(value))
    settle(driver)


def click_id(driver, element_id, message):
    retry(driver, message, lambda: wait(driver, 10, lambda d: d.find_element(By.ID, element_id), message).click())
    settle(driver)


def click(driver, xpath, message):
    """Clicks the element at `xpath`, finding it again if the page redrew it meanwhile."""
    retry(driver, message, lambda: wait(driver, 10, lambda d: d.find_element(By.XPATH, xpath), message).click())
    settle(driver)


def unlabelled(driver):
    """Form controls without an accessible name (a label or aria-label)."""
    return driver.execute_script("""
        return [...document.querySelectorAll('input, select, textarea, button')]
          .filter(c => c.type !== 'hidden' && !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !(c.textContent || '').trim())
          .map(c => c.outerHTML.slice(0, 120));""")




def store_on_product_page(driver, base, product, key, file):
    """Stores `file` for `product`'s slot `key` through the product page, as a user does."""
    driver.get(f"{base}/products/{product}")
    wait(driver, 20, lambda d: d.find_elements(By.ID, "new-key"), "the product page opens")
    type_into(driver, "new-key", key, blur=False)
    by_id(driver, "new-files").send_keys(file)
    click(driver, "//button[normalize-space()='Upload']", "the Upload button")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, f'section[aria-label="Slot {key}"] img.thumb'), f"the file is stored under {key}")

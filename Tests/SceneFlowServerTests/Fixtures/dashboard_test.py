#!/usr/bin/env python3
"""The dashboard in a real browser (Debian's Chromium through Selenium), as a user works:
make a two-scene template entirely through the form (an uploaded background, a required
product-image slot, continuity from scene 1's last frame), see a wrong value's diagnostic beside
its field, save it and check it with the CLI; hydrate a product (Hydrate disabled until the slot
has a file), frames first; regenerate a frame, see both takes, pick the first; continue to clips;
play the final cut. No request leaves the server's origin and no key reaches a page.

Usage: dashboard_test.py BASE_URL PRODUCT_IMAGE SCENEFLOW_BINARY TEMPLATES_DIR SHOTS_DIR SECRET...
Prints one line per check; exits 1 on the first failure (with the page's text). Screenshots of
each step go to SHOTS_DIR."""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_support import (browser, by_id, by_label, check, choose, click, click_id, retry, seen_pages, settle,  # noqa: E402
                               shot, step, store_on_product_page, type_into, unlabelled, wait)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

BASE, PRODUCT, BINARY, TEMPLATES, SHOTS = sys.argv[1:6]
SECRETS = sys.argv[6:]


def template_text(driver):
    return json.loads(by_id(driver, "editor").get_attribute("value"))


def other_origins(driver):
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [e for e in entries if not (e.startswith(BASE) or e.startswith("data:") or e.startswith("blob:"))]


def api(path):
    return json.load(urllib.request.urlopen(BASE + "/api/v1" + path))


def wait_for_run(driver, seconds, message):
    wait(driver, seconds, lambda d: any(w in d.find_element(By.ID, "summary").text.split(" ")[0] for w in ("succeeded", "failed", "partial", "cancelled")),
         message)
    return driver.find_element(By.ID, "summary").text


driver = browser(SHOTS)
try:
    # ---- Make Template: a two-scene template, entirely through the form ----
    driver.get(BASE + "/templates/new")
    wait(driver, 20, lambda d: d.find_elements(By.ID, "f-scenes-0-id"), "the form shows the new template's first scene")
    type_into(driver, "template-id", "two-scene", blur=False)
    type_into(driver, "f-id", "two-scene")
    type_into(driver, "f-name", "Two scenes, continuous")
    click(driver, "//button[normalize-space()='Add background']", "the Add background button")
    retry(driver, "the background's upload control",
          lambda: wait(driver, 10, lambda d: by_label(d, "Upload an image for background place-1"), "the background's upload control").send_keys(PRODUCT))
    wait(driver, 20, lambda d: (template_text(d).get("backgrounds") or [{}])[0].get("image", "").startswith("images/two-scene-"),
         "the uploaded background is stored beside the templates and written into the template")
    click(driver, "//button[normalize-space()='Add slot']", "the Add slot button")
    type_into(driver, "f-dependencies-0-asset-key", "product_1")
    wait(driver, 10, lambda d: template_text(d)["dependencies"] == [{"type": "product_image", "asset_key": "product_1", "min": 1, "max": 1}],
         "a required product-image slot is declared")
    choose(driver, "f-scenes-0-background", "place-1", "scene 1's background")
    click_id(driver, "f-scenes-0-dependencies-product-1", "the slot can be shown in scene 1")
    type_into(driver, "f-scenes-0-prompt", "The grinder on a bright counter")
    click_id(driver, "f-scenes-0-speaking", "the speaking switch")
    type_into(driver, "f-scenes-0-dialogue", "This grinder changed my mornings.")
    click_id(driver, "f-scenes-0-last-frame", "the last-frame switch")
    type_into(driver, "f-scenes-0-last-frame-prompt", "The grinder, lid open")
    click(driver, "//button[normalize-space()='Add scene']", "the Add scene button")
    choose(driver, "f-scenes-1-background", "place-1", "scene 2's background")
    click_id(driver, "f-scenes-1-dependencies-product-1", "the slot can be shown in scene 2")
    choose(driver, "f-scenes-1-first-frame-source", "last_frame_of", "scene 2's first-frame source")
    wait(driver, 10, lambda d: template_text(d)["scenes"][1].get("first_frame") == {"source": "last_frame_of", "scene": "hook"},
         "scene 2 continues from scene 1's last frame")
    type_into(driver, "f-scenes-1-prompt", "Beans pour in")
    # Scene 2 opens on scene 1's last frame, so the slot it lists reaches no job: a warning beside the field.
    wait(driver, 20, lambda d: "slot-not-used" in d.find_element(By.ID, "diagnostics").text or "nothing reads" in d.find_element(By.ID, "f-scenes-1-dependencies-error").text,
         "a slot a scene lists but cannot show is warned about")
    check("nothing reads" in by_id(driver, "f-scenes-1-dependencies-error").text, "beside the scene's slots", driver)
    click_id(driver, "f-scenes-1-dependencies-product-1", "the slot is taken off scene 2")

    # A wrong value: its diagnostic appears beside the field, and in the list.
    type_into(driver, "f-scenes-1-id", "Bad Id")
    wait(driver, 20, lambda d: "error" in d.find_element(By.ID, "f-scenes-1-id-error").text, "a wrong scene id's diagnostic is shown beside its field")
    check(by_id(driver, "f-scenes-1-id").get_attribute("aria-invalid") == "true", "the field is marked invalid", driver)
    check("scenes[1].id" in by_id(driver, "diagnostics").text, "the diagnostic list names its path", driver)
    shot(driver, "editor-diagnostic-beside-field")
    type_into(driver, "f-scenes-1-id", "reveal", blur=False)
    # Keyboard: Tab out of an id (which redraws the form) lands on the next field, and typing goes there.
    by_id(driver, "f-scenes-1-id").send_keys(Keys.TAB)
    time.sleep(0.6)
    check(driver.switch_to.active_element.get_attribute("id") == "f-scenes-1-avatar", "Tab from an edited id keeps the focus on the next field", driver)
    wait(driver, 20, lambda d: d.find_element(By.ID, "diagnostics").text.startswith("No errors"), "the corrected template is valid")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram img"), "the diagram is drawn as the template changes")
    check(not unlabelled(driver), f"every control of the editor has a label: {unlabelled(driver)[:3]}", driver)
    shot(driver, "editor-two-scene-template")
    click(driver, "//button[normalize-space()='Save']", "the Save button")
    wait(driver, 20, lambda d: d.find_element(By.ID, "status").text == "Saved two-scene.json.", "the template is saved")
    saved = os.path.join(TEMPLATES, "two-scene.json")
    validated = subprocess.run([BINARY, "validate", saved], capture_output=True, text=True)
    check(validated.returncode == 0, f"the saved file validates with the CLI: {validated.stdout}{validated.stderr}")
    written = json.load(open(saved))
    check(len(written["scenes"]) == 2 and written["scenes"][0].get("last_frame") is not None, "the saved file holds both scenes and the last frame")

    # The YAML view shows the same template.
    choose(driver, "text-format", "yaml", "the text format")
    wait(driver, 10, lambda d: "scenes:" in by_id(d, "editor").get_attribute("value"), "the YAML view shows the template as YAML")
    wait(driver, 20, lambda d: d.find_element(By.ID, "diagnostics").text.startswith("No errors"), "the YAML is valid too")
    choose(driver, "text-format", "json", "the text format")

    # ---- Hydrate: disabled until the slot has a file; frames first ----
    driver.get(BASE + "/templates/two-scene/hydrate?product_id=shop-1")
    button = wait(driver, 20, EC.presence_of_element_located((By.XPATH, "//button[normalize-space()='Hydrate']")), "the Hydrate button")
    wait(driver, 20, lambda d: "product_1" in d.find_element(By.ID, "reason").text, "the reason names the empty slot")
    check(not button.is_enabled(), "Hydrate is disabled while product_1 is empty", driver)
    check("Estimate" in by_id(driver, "plan").text, "the plan's estimate is shown", driver)
    shot(driver, "hydrate-disabled")
    by_label(driver, "product_1").send_keys(PRODUCT)
    wait(driver, 10, lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Hydrate']").is_enabled(), "Hydrate is enabled once the slot has a file")
    check(driver.find_elements(By.CSS_SELECTOR, ".chosen img.thumb"), "the chosen file is shown before upload", driver)
    by_id(driver, "frames-first").click()
    wait(driver, 20, lambda d: "Estimate for the frames" in d.find_element(By.ID, "plan").text, "the estimate follows frames first")
    check(not unlabelled(driver), f"every control of the hydrate page has a label: {unlabelled(driver)[:3]}", driver)
    driver.find_element(By.XPATH, "//button[normalize-space()='Hydrate']").click()

    # ---- The frames-first run: frames only, then review ----
    wait(driver, 30, EC.url_contains("/runs/"), "the run page opens")
    frames_run = driver.current_url.rstrip("/").split("/")[-1]
    summary = wait_for_run(driver, 240, "the frames-first run finishes")
    check(summary.startswith("succeeded"), f"the frames are made: {summary}", driver)
    check(not driver.find_elements(By.CSS_SELECTOR, 'video[aria-label="Final video"]'), "no clip or cut was paid for", driver)
    wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, 'img[alt="hook.first_frame: the frame"]'), "scene 1's first frame is shown as an image")
    check(driver.find_elements(By.ID, "continue"), "a frames-first run offers Continue to clips", driver)
    shot(driver, "run-frames-first")

    # The stored product file is shown as a thumbnail on the hydrate page now.
    driver.get(BASE + "/templates/two-scene/hydrate?product_id=shop-1")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, "#stored-product_1 img.thumb"), "the stored product image is a thumbnail")
    wait(driver, 20, lambda d: d.execute_script("const i = document.querySelector('#stored-product_1 img.thumb'); return i.complete && i.naturalWidth > 0"),
         "the thumbnail loads")
    shot(driver, "hydrate-stored-thumbnail")

    # Details of a node: the prompt sent, its inputs, its attempts.
    driver.get(BASE + "/runs/" + frames_run)
    retry(driver, "the Details control", lambda: wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, 'button[aria-label="Details of hook.first_frame"]'),
                                                     "every job offers its details")[0].click())
    panel = wait(driver, 10, lambda d: d.find_element(By.CSS_SELECTOR, 'section[aria-label="hook.first_frame: details"]'), "the details panel opens")
    sent = next(n for n in api(f"/runs/{frames_run}")["nodes"] if n["id"] == "hook.first_frame").get("prompt") or "?"
    check("Prompt sent" in panel.text and sent in panel.text, f"the details show the prompt actually sent: {panel.text[:300]}", driver)
    check(driver.find_elements(By.CSS_SELECTOR, 'table[aria-label="Attempts of hook.first_frame"] tbody tr'), "and each attempt with its timing", driver)
    check("asset:product_1" in panel.text, "and the inputs it read", driver)
    # A frame opens large, and closes.
    retry(driver, "the frame", lambda: by_label(driver, "hook.first_frame: the frame (enlarge)").click())
    zoomed = wait(driver, 10, lambda d: d.find_element(By.CSS_SELECTOR, 'dialog[aria-label="hook.first_frame, enlarged"]'), "the frame opens enlarged")
    shot(driver, "run-frame-enlarged")
    zoomed.find_element(By.XPATH, ".//button[normalize-space()='Close']").click()
    wait(driver, 10, lambda d: not d.find_elements(By.CSS_SELECTOR, 'dialog[aria-label="hook.first_frame, enlarged"]'), "the enlarged frame closes")

    # Regenerate asks first: what it would remake, what it would cost; Cancel spends nothing.
    runs_before = len(api("/runs"))
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-label="Regenerate hook.first_frame"]'), "every generated node has a Regenerate control")
    retry(driver, "the Regenerate control", lambda: by_label(driver, "Regenerate hook.first_frame").click())
    dialog = wait(driver, 10, lambda d: d.find_element(By.CSS_SELECTOR, 'dialog[aria-label="Regenerate hook.first_frame?"]'), "Regenerate opens a dialog")
    check(dialog.get_attribute("open") is not None, "the dialog is open (modal)", driver)
    wait(driver, 20, lambda d: "would be made" in d.find_element(By.CSS_SELECTOR, "dialog .cost").text, "the dialog says what would be made and its cost")
    only = [li.text for li in dialog.find_elements(By.CSS_SELECTOR, 'ul[aria-label="Nodes to remake"] li')]
    check(len(only) == 1 and only[0].startswith("hook.first_frame"), f"this node only: only hook.first_frame is remade ({only})", driver)
    dialog.find_element(By.ID, "scope-after").click()
    wait(driver, 20, lambda d: len(d.find_elements(By.CSS_SELECTOR, 'dialog ul[aria-label="Nodes to remake"] li')) > 1,
         "everything after it: the frames that depend on it are listed too")
    after = [li.text.split(" ")[0] for li in driver.find_elements(By.CSS_SELECTOR, 'dialog ul[aria-label="Nodes to remake"] li')]
    check("hook.last_frame" in after and "hook.video" not in after, f"after a frames-first run, everything after stays in the frames: {after}", driver)
    shot(driver, "regenerate-dialog")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Cancel']").click()
    wait(driver, 10, lambda d: not d.find_elements(By.CSS_SELECTOR, 'dialog[aria-label="Regenerate hook.first_frame?"]'), "Cancel closes the dialog")
    time.sleep(0.5)
    check(len(api("/runs")) == runs_before and frames_run in driver.current_url, "Cancel started nothing", driver)

    # Regenerate this node only: a new take; its dependents wait.
    retry(driver, "the Regenerate control", lambda: by_label(driver, "Regenerate hook.first_frame").click())
    dialog = wait(driver, 10, lambda d: d.find_element(By.CSS_SELECTOR, 'dialog[aria-label="Regenerate hook.first_frame?"]'), "the dialog again")
    wait(driver, 20, lambda d: d.find_element(By.XPATH, "//dialog//button[normalize-space()='Regenerate']").is_enabled(), "Regenerate is ready once the cost is known")
    # Two variations, with an edited prompt: two takes at once.
    edited = "The grinder, closer, morning light"
    prompt_box = by_id(driver, "take-prompt")
    prompt_box.send_keys(Keys.CONTROL, "a")
    prompt_box.send_keys(edited)
    variations_box = by_id(driver, "take-variations")
    variations_box.send_keys(Keys.CONTROL, "a")
    variations_box.send_keys("2")
    wait(driver, 20, lambda d: "hook.first_frame ×2" in d.find_element(By.CSS_SELECTOR, 'dialog ul[aria-label="Nodes to remake"]').text,
         "the dialog counts both variations")
    wait(driver, 20, lambda d: d.find_element(By.XPATH, "//dialog//button[normalize-space()='Regenerate']").is_enabled(), "Regenerate is ready again")
    driver.find_element(By.XPATH, "//dialog//button[normalize-space()='Regenerate']").click()
    wait(driver, 30, lambda d: frames_run not in d.current_url and "/runs/" in d.current_url, "regenerating opens a new run")
    regenerated = driver.current_url.rstrip("/").split("/")[-1]
    wait_for_run(driver, 240, "the regenerated frames run finishes")
    remade = api(f"/runs/{regenerated}")
    made = sorted(n["id"] for n in remade["nodes"] if n.get("job") and n["status"] == "succeeded")
    check(made == ["hook.first_frame"], f"only the node was remade: {made}")
    frame = next(n for n in remade["nodes"] if n["id"] == "hook.first_frame")
    check(frame["prompt"] == edited and frame["take"] == 3, f"the new take was made from the edited prompt, as take 3 (take 2 its variation): {frame.get('take')}, {frame.get('prompt')}")
    retry(driver, "the Takes control", lambda: wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, 'button[aria-label="Takes of hook.first_frame"]'),
                                                   "the frame offers its takes")[0].click())
    wait(driver, 20, lambda d: len(d.find_elements(By.CSS_SELECTOR, '[aria-label="The takes of hook.first_frame"] figure')) == 3,
         "the three takes are shown side by side")
    wait(driver, 20, lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                                   for i in d.find_elements(By.CSS_SELECTOR, '[aria-label="The takes of hook.first_frame"] img')), "the takes' images load")
    check("used by this run" in driver.find_element(By.CSS_SELECTOR, '[aria-label="The takes of hook.first_frame"] figure:nth-child(3)').text,
          "take 3 is the one this run used", driver)
    for n in (1, 2):
        retry(driver, "a Compare control", lambda: by_label(driver, f"Compare take {n} of hook.first_frame").click())
    compared = wait(driver, 10, lambda d: d.find_element(By.CSS_SELECTOR, '[aria-label="Take 1 and take 2 of hook.first_frame, side by side"]'),
                    "two takes chosen are compared side by side")
    wait(driver, 10, lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in compared.find_elements(By.TAG_NAME, "img")),
         "both compared takes load, large")
    check(compared.find_elements(By.TAG_NAME, "img")[0].size["width"] > 300, "compared takes are large enough to judge", driver)
    shot(driver, "run-takes-side-by-side")
    retry(driver, "the Pick control", lambda: by_label(driver, "Pick take 1 of hook.first_frame").click())
    wait(driver, 20, lambda d: "picked" in d.find_element(By.ID, "notices").text, "the pick is confirmed")
    takes = api(f"/runs/{regenerated}/nodes/hook.first_frame/takes")
    check(takes["picked"] == 1, "take 1 is recorded as picked")

    # Continue to clips and the final cut, from the picked take.
    retry(driver, "the Continue control", lambda: by_id(driver, "continue").click())
    wait(driver, 30, lambda d: regenerated not in d.current_url, "continuing opens the full run")
    final_run = driver.current_url.rstrip("/").split("/")[-1]
    video = wait(driver, 300, EC.presence_of_element_located((By.CSS_SELECTOR, 'video[aria-label="Final video"]')), "the final video appears")
    report = api(f"/runs/{final_run}")
    check(report["status"] == "succeeded", f"the full run succeeded: {report.get('stop_reason')}")
    hook = next(n for n in report["nodes"] if n["id"] == "hook.first_frame")
    take1 = next(t for t in takes["takes"] if t["take"] == 1)
    check(hook["sha256"] == take1["sha256"], "the cut is made from the picked take")
    wait(driver, 30, lambda d: d.execute_script("return arguments[0].readyState >= 1", video), "the final video loads")
    duration = driver.execute_script("return arguments[0].duration", video)
    expected = sum(s.get("duration_s", 5) for s in written["scenes"])
    check(abs(duration - expected) <= 0.2, f"the final video lasts {duration:.2f} s, the template {expected} s")
    driver.execute_script("arguments[0].muted = true; arguments[0].play()", video)
    wait(driver, 20, lambda d: d.execute_script("return arguments[0].currentTime", video) > 0.5, "the final video plays (currentTime advances)")
    driver.execute_script("arguments[0].pause()", video)
    check(driver.find_elements(By.CSS_SELECTOR, 'a[download="final.otio"]'), "the timeline is offered for download", driver)
    check(not other_origins(driver), f"the run page loads nothing from other origins: {other_origins(driver)}", driver)
    shot(driver, "run-final-cut")

    # A narrow window: one column, nothing wider than the window.
    driver.set_window_size(420, 900)
    driver.get(BASE + "/runs/" + final_run)
    wait(driver, 30, EC.presence_of_element_located((By.CSS_SELECTOR, 'video[aria-label="Final video"]')), "the run page on a narrow window")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 1, f"the narrow page does not scroll sideways ({overflow} px)", driver)
    driver.save_screenshot(os.path.join(SHOTS, f"{step[0] + 1:02d}-run-narrow.png"))
    driver.set_window_size(1280, 800)

    # History per template and product: one thread, thumbnails, how far each run went.
    driver.get(BASE + "/runs?template=two-scene&product_id=shop-1")
    wait(driver, 20, lambda d: len(d.find_elements(By.CSS_SELECTOR, 'table[aria-label="Runs"] tbody tr')) == 3, "the history lists the three runs")
    check(len(driver.find_elements(By.CSS_SELECTOR, 'section[aria-label="Thread two-scene for shop-1"]')) == 1, "the runs of one template and product are one thread", driver)
    stages = [td.text for td in driver.find_elements(By.CSS_SELECTOR, 'table[aria-label="Runs"] td.stage')]
    check(stages.count("frames only") == 2 and stages.count("final cut") == 1, f"each run says how far it went: {stages}", driver)
    wait(driver, 20, lambda d: len([i for i in d.find_elements(By.CSS_SELECTOR, "img.row-thumb") if d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)]) == 3,
         "each run shows its first frame")
    shot(driver, "history")

    # The product library: every product with thumbnails; a product's files per slot, its runs.
    driver.get(BASE + "/products")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, 'ul[aria-label="Products"] a[href="/products/shop-1"]'), "the library lists shop-1")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, ".product img.thumb"), "with thumbnails of its files")
    shot(driver, "products")
    driver.get(BASE + "/products/shop-1")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, 'section[aria-label="Slot product_1"] img.thumb'), "the product's page shows its files per slot")
    store_on_product_page(driver, BASE, "shop-1", "logo", PRODUCT)
    check(any(a["asset_key"] == "logo" for a in api("/products/shop-1/assets")), "the store has it")
    check(len(driver.find_elements(By.CSS_SELECTOR, 'table[aria-label="Runs"] tbody tr')) == 3, "the product's runs are listed", driver)
    check(not unlabelled(driver), f"every control of the product page has a label: {unlabelled(driver)[:3]}", driver)
    shot(driver, "product")
    click(driver, "//button[normalize-space()='Remove logo']", "the Remove control")
    wait(driver, 20, lambda d: not d.find_elements(By.CSS_SELECTOR, 'section[aria-label="Slot logo"]'), "removing a slot's files takes them off the page")
    check(not any(a["asset_key"] == "logo" for a in api("/products/shop-1/assets")), "and out of the store")

    # The queue: a run's jobs, running and waiting, with timers.
    request = urllib.request.Request(BASE + "/api/v1/runs", data=json.dumps({"template": "two-scene", "product_id": "shop-1",
                                     "regenerate": ["hook.video", "reveal.video"]}).encode(), headers={"Content-Type": "application/json"}, method="POST")
    queued_run = json.load(urllib.request.urlopen(request))["id"]
    driver.get(BASE + "/queue")
    wait(driver, 20, lambda d: any(queued_run in r.text for r in d.find_elements(By.CSS_SELECTOR, 'table[aria-label="Queue"] tbody tr')), "the queue shows the run's jobs")
    shot(driver, "queue")
    wait(driver, 120, lambda d: api(f"/runs/{queued_run}")["status"] != "running", "the queued run finishes")
    wait(driver, 10, lambda d: "Nothing is running" in d.find_element(By.CSS_SELECTOR, 'table[aria-label="Queue"]').text, "and the queue empties")

    # ---- The editor on an existing template: a model from the registry, a scene moved ----
    driver.get(BASE + "/templates/unboxing")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram img"), "the diagram is drawn")
    wait(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-label="Model for video"] option'), "the model dropdowns are filled")
    wait(driver, 20, lambda d: any(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                                   for i in d.find_elements(By.CSS_SELECTOR, "img.preview")), "avatar and background images are previewed")
    choose(driver, "model-video", "local/ffmpeg-clip", "the video model")
    wait(driver, 10, lambda d: template_text(d).get("models", {}).get("video") == "local/ffmpeg-clip", "choosing a video model writes it into the template")
    first = template_text(driver)["scenes"][0]["id"]
    retry(driver, "the move control", lambda: by_label(driver, f"Move {first} down").click())
    wait(driver, 10, lambda d: template_text(d)["scenes"][1]["id"] == first, "moving a scene down reorders the template")
    area = by_id(driver, "editor")
    text = area.get_attribute("value").replace('"avatar": "maya"', '"avatar": "nobody"', 1)
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", area, text)
    wait(driver, 20, lambda d: "unknown-avatar" in d.find_element(By.ID, "diagnostics").text, "the broken reference is reported")
    wait(driver, 20, lambda d: any("error" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".field-error")), "and shown beside the avatar field")
    click(driver, "//button[normalize-space()='Save']", "the Save button")
    wait(driver, 20, lambda d: "to fix" in d.find_element(By.ID, "status").text, "an invalid template is saved and flagged")
    saved = api("/templates/unboxing")
    check(any(d["code"] == "unknown-avatar" for d in saved["diagnostics"]), "the saved file holds the edit", driver)
    shot(driver, "editor-invalid-saved")
    check("runs offline" in driver.find_element(By.TAG_NAME, "body").text, "the editor says the server runs offline (local models, $0)", driver)
    check(driver.find_elements(By.CSS_SELECTOR, "#diagram.stale .stale-note"), "an invalid template's diagram is marked out of date", driver)
    retry(driver, "a Collapse control", lambda: by_label(driver, f"Collapse scene {first}").click())
    wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, f'[aria-label="Expand scene {first}"]'), "a scene collapses")
    # Save as: a new id saves a new file; the old one stays.
    type_into(driver, "template-id", "unboxing-copy", blur=False)
    click(driver, "//button[normalize-space()='Save']", "the Save button")
    wait(driver, 20, lambda d: "stays as it was" in d.find_element(By.ID, "status").text, "saving under a new id saves a new file and says the old one stays")
    check(os.path.exists(os.path.join(TEMPLATES, "unboxing-copy.json")) and os.path.exists(os.path.join(TEMPLATES, "unboxing.json")), "both files exist")
    check(driver.current_url.endswith("/templates/unboxing-copy"), "the page follows the new id", driver)

    # Nothing secret on any page; no errors in the console.
    leaks = [secret for source in seen_pages + [driver.page_source] for secret in SECRETS if secret in source]
    check(not leaks and SECRETS, f"no key appears in any of the {len(seen_pages) + 1} pages seen")
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
    check(not errors, f"no errors in the browser console: {errors[:3]}", driver)
    print("PASS", flush=True)
finally:
    driver.quit()

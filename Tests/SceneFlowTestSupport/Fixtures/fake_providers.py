#!/usr/bin/env python3
"""Loopback stand-ins for fal, Gemini, Veo (Gemini API) and ElevenLabs, speaking each
provider's documented HTTP protocol (docs/providers.md) as bytes over TCP.

Standard library only, so it needs nothing installed but python3 (and ffmpeg, which makes
the media it hands back). One server serves every provider under its own prefix:

    SCENEFLOW_FAL_URL=http://127.0.0.1:PORT/fal
    SCENEFLOW_GEMINI_URL=http://127.0.0.1:PORT/google
    SCENEFLOW_ELEVENLABS_URL=http://127.0.0.1:PORT/eleven

Media is served under /media, outside every provider's base URL, as real CDNs are: a key
sent there is a leak, and the request log shows it.

Faults are scripted per route with --scenario: {"faults": {"fal.status": [{"status": 500}],
...}, "fal_work_seconds": 0.2}. Each request on a route takes the next fault in its list (then
behaves). A fault is {"status": N, "headers": {...}, "body": ...} or {"action": "hang" |
"reset" | "truncate"}. Routes: fal.submit fal.status fal.result fal.cancel gemini.generate
veo.submit veo.poll veo.download eleven.tts media.

ElevenLabs answers both /v1/text-to-speech/{voice} (raw MP3) and .../with-timestamps (JSON: the
MP3 in base64 and a character alignment, 15 characters a second, evenly spaced). The scenario's
"eleven_alignment" spoils that answer on purpose: "mismatched" (arrays of different lengths) or
"text-audio" (audio_base64 that is not audio).

Every request is appended to --log as one JSON line (route, method, path, the auth headers it
carried, the JSON body with data URIs shortened), so tests can assert what was sent where.

One server serves many tests at once: a test is a tenant, its base URLs under /t/NAME/ (for
instance http://127.0.0.1:PORT/t/NAME/fal). Its scenario is read from --tenants/NAME.json on its
first request, its requests are logged to --tenants/NAME.jsonl and the files it serves are
looked up in --tenants/NAME.media/ first. Tenants share nothing else but the process.

The port is printed as "PORT n" and, with --port-file, written there (atomically).
"""
import argparse, base64, hashlib, json, os, socket, struct, subprocess, sys, threading, time, uuid, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
JOBS = {}          # fal request id -> job
OPERATIONS = {}    # veo operation id -> op
TENANTS = {}       # name -> {"faults", "settings", "log", "media"}; "" is the server's own
TENANT_DIR = None
MEDIA = None
KEYS = {}
TLS = False


def tenant(name):
    """The tenant's state, read from TENANT_DIR/NAME.json the first time it is seen."""
    with LOCK:
        if name in TENANTS:
            return TENANTS[name]
        scenario = {}
        if TENANT_DIR and name:
            try:
                with open(os.path.join(TENANT_DIR, name + ".json")) as f:
                    scenario = json.load(f)
            except FileNotFoundError:
                scenario = {}
        TENANTS[name] = {"faults": scenario.get("faults", {}), "settings": scenario,
                         "log": os.path.join(TENANT_DIR, name + ".jsonl"),
                         "media": os.path.join(TENANT_DIR, name + ".media")}
        return TENANTS[name]

FAL_MODELS = {
    "fal-ai/kling-image/o1": "image",
    "fal-ai/nano-banana/edit": "image",
    "fal-ai/gemini-25-flash-image/edit": "image",
    "fal-ai/nano-banana-pro/edit": "image",
    "fal-ai/nano-banana-2/edit": "image",
    "fal-ai/kling-video/v2.6/pro/image-to-video": "kling-video",
    "fal-ai/veo3.1/image-to-video": "veo-i2v",
    "fal-ai/veo3/image-to-video": "veo-i2v",
    "fal-ai/veo3.1/first-last-frame-to-video": "veo-flf",
    "fal-ai/veo3.1/fast/first-last-frame-to-video": "veo-flf",
}


def png(width, height, rgb):
    """A solid-colour PNG, written by hand (zlib + CRCs)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def size_for(ratio):
    return {"16:9": (640, 360), "1:1": (480, 480), "4:5": (384, 480)}.get(ratio or "9:16", (360, 640))


def colour(seed):
    d = hashlib.sha256(seed.encode()).digest()
    return (64 + d[0] % 160, 64 + d[1] % 160, 64 + d[2] % 160)


def make_image(seed, ratio):
    w, h = size_for(ratio)
    name = f"{uuid.uuid4().hex}.png"
    with open(os.path.join(MEDIA, name), "wb") as f:
        f.write(png(w, h, colour(seed)))
    return name, w, h


def make_clip(seconds, ratio, audio=True):
    """An H.264/AAC clip from ffmpeg's test source, made once per shape."""
    w, h = size_for(ratio)
    name = f"clip-{seconds}-{w}x{h}-{int(audio)}.mp4"
    path = os.path.join(MEDIA, name)
    with LOCK:
        if not os.path.exists(path):
            args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={w}x{h}:r=25:d={seconds}"]
            if audio:
                args += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "aac"]
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", str(seconds), path + ".tmp.mp4"]
            subprocess.run(args, check=True)
            os.rename(path + ".tmp.mp4", path)
    return name


def speech_seconds(text):
    """How long the fake voice speaks `text`: 15 characters a second, 1 to 20 s."""
    return max(1.0, min(20.0, len(text) / 15.0))


def make_speech(text):
    seconds = speech_seconds(text)
    name = f"speech-{hashlib.sha256(text.encode()).hexdigest()[:12]}.mp3"
    path = os.path.join(MEDIA, name)
    with LOCK:
        if not os.path.exists(path):
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds:.2f}",
                            "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", path + ".tmp.mp3"], check=True)
            os.rename(path + ".tmp.mp3", path)
    return name


def shorten(value):
    if isinstance(value, str) and value.startswith("data:"):
        return value[:value.find(",") + 1] + f"...({len(value)} chars)"
    if isinstance(value, str) and len(value) > 200:
        return value[:40] + f"...({len(value)} chars)"
    if isinstance(value, list):
        return [shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    return value


def image_from_data_uri(uri):
    """Decodes a data URI and checks it holds a PNG, JPEG or WebP image."""
    if not isinstance(uri, str) or not uri.startswith("data:image/") or ";base64," not in uri:
        return None
    try:
        data = base64.b64decode(uri.split(",", 1)[1], validate=True)
    except Exception:
        return None
    if data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8") or data[8:12] == b"WEBP":
        return data
    return None


def fal_validate(kind, body):
    """The model's input validation, as fal reports it: 422 with detail[{loc,msg,type}]."""
    problems = []
    def need(field, check, msg):
        if field not in body:
            problems.append({"loc": ["body", field], "msg": "field required", "type": "value_error.missing"})
        elif not check(body[field]):
            problems.append({"loc": ["body", field], "msg": msg, "type": "value_error"})
    need("prompt", lambda v: isinstance(v, str) and 0 < len(v) <= 2500, "prompt must be 1-2500 characters")
    if kind == "image":
        need("image_urls", lambda v: isinstance(v, list) and 0 < len(v) <= 10 and all(image_from_data_uri(u) or str(u).startswith("http") for u in v),
             "image_urls must hold 1-10 images")
    elif kind == "kling-video":
        need("start_image_url", lambda v: image_from_data_uri(v) is not None, "start_image_url is not an image")
        need("duration", lambda v: v in ("5", "10"), "duration must be one of '5', '10'")
        if "end_image_url" in body and image_from_data_uri(body["end_image_url"]) is None:
            problems.append({"loc": ["body", "end_image_url"], "msg": "end_image_url is not an image", "type": "value_error"})
        if "image_url" in body:
            problems.append({"loc": ["body", "image_url"], "msg": "extra fields not permitted", "type": "value_error.extra"})
    elif kind == "veo-i2v":
        need("image_url", lambda v: image_from_data_uri(v) is not None, "image_url is not an image")
        need("duration", lambda v: v in ("4s", "6s", "8s"), "duration must be one of '4s', '6s', '8s'")
    elif kind == "veo-flf":
        need("first_frame_url", lambda v: image_from_data_uri(v) is not None, "first_frame_url is not an image")
        need("last_frame_url", lambda v: image_from_data_uri(v) is not None, "last_frame_url is not an image")
        need("duration", lambda v: v in ("4s", "6s", "8s"), "duration must be one of '4s', '6s', '8s'")
    return problems


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # Plumbing

    def base(self):
        scheme = "https" if TLS else "http"
        return f"{scheme}://{self.headers.get('Host')}" + (f"/t/{self.tenant_name}" if self.tenant_name else "")

    @property
    def settings(self):
        return self.tenant["settings"]

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def record(self, route, body):
        try:
            parsed = shorten(json.loads(body)) if body else None
        except Exception:
            parsed = f"<{len(body)} bytes, not JSON>"
        # The path as the tenant sees it: without its /t/NAME prefix.
        path = self.path[len(f"/t/{self.tenant_name}"):] if self.tenant_name else self.path
        entry = {"route": route, "method": self.command, "path": path, "time": time.time(),
                 "authorization": self.headers.get("Authorization"), "x-goog-api-key": self.headers.get("x-goog-api-key"),
                 "xi-api-key": self.headers.get("xi-api-key"), "body": parsed}
        with LOCK:
            with open(self.tenant["log"], "a") as f:
                f.write(json.dumps(entry) + "\n")

    def send(self, status, body=b"", content_type="application/json", headers=None):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fault(self, route):
        """Plays the route's next scripted fault; True if it answered the request."""
        with LOCK:
            queue = self.tenant["faults"].get(route) or []
            spec = queue.pop(0) if queue else None
        if spec is None:
            return False
        action = spec.get("action")
        if action == "hang":
            time.sleep(spec.get("seconds", 30))
            self.close_connection = True
            return True
        if action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return True
        if action == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", spec.get("content_type", "application/json"))
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"partial": tr')
            self.wfile.flush()
            self.close_connection = True
            return True
        if action == "oversize":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(spec.get("bytes", 2 << 30)))
            self.end_headers()
            try:
                chunk = b"\0" * 65536
                for _ in range(spec.get("bytes", 2 << 30) // 65536):
                    self.wfile.write(chunk)
            except Exception:
                pass
            self.close_connection = True
            return True
        headers = dict(spec.get("headers") or {})
        if headers.get("Location", "").startswith("/") and self.tenant_name:
            headers["Location"] = f"/t/{self.tenant_name}" + headers["Location"]   # a path inside the tenant
        self.send(spec.get("status", 500), spec.get("body", {"detail": "scripted failure"}), headers=headers)
        return True

    def authorised(self, header, expected, prefix=""):
        if self.headers.get(header) == prefix + KEYS.get(expected, ""):
            return True
        self.send(401 if expected != "gemini" else 403,
                  {"detail": "Invalid key"} if expected == "fal" else {"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}})
        return False

    # Routing

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        try:
            self.dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # a bug here must answer, not hang the client
            self.send(500, {"detail": f"fake server error: {error!r}"})

    def dispatch(self, method):
        body = self.read_body()
        path = self.path.split("?")[0]
        self.tenant_name = ""
        if path.startswith("/t/"):
            name, _, rest = path[3:].partition("/")
            if not name or not all(c.isalnum() or c in "-_" for c in name):
                return self.send(404, {"detail": "bad tenant"})
            self.tenant_name, path = name, "/" + rest
        self.tenant = tenant(self.tenant_name)
        parts = path.strip("/").split("/")
        if parts[0] == "fal":
            self.fal(method, parts[1:], body)
        elif parts[0] == "google":
            self.google(method, path[len("/google"):], body)
        elif parts[0] == "eleven":
            self.eleven(method, parts[1:], body)
        elif parts[0] == "media" and method == "GET":
            self.record("media", body)
            if self.fault("media"):
                return
            name = os.path.basename(path)
            file = os.path.join(self.tenant["media"], name)
            if not os.path.exists(file):
                file = os.path.join(MEDIA, name)
            if not os.path.exists(file):
                return self.send(404, {"detail": "Not found"})
            with open(file, "rb") as f:
                data = f.read()
            kind = "image/png" if name.endswith(".png") else "video/mp4" if name.endswith(".mp4") else "audio/mpeg"
            self.send(200, data, kind)
        else:
            self.send(404, {"detail": f"no route {path}"})

    # fal queue API

    def fal(self, method, parts, body):
        if method == "POST":
            model = "/".join(parts)
            self.record("fal.submit", body)
            if not self.authorised("Authorization", "fal", "Key "):
                return
            if self.fault("fal.submit"):
                return
            kind = FAL_MODELS.get(model)
            if kind is None:
                return self.send(404, {"detail": f"Application '{model}' not found"})
            try:
                payload = json.loads(body)
            except Exception:
                return self.send(422, {"detail": "Invalid JSON body"})
            rid = str(uuid.uuid4())
            app = "/".join(parts[:2])  # status/result/cancel URLs drop the model's subpath
            urls = {"status_url": f"{self.base()}/fal/{app}/requests/{rid}/status",
                    "response_url": f"{self.base()}/fal/{app}/requests/{rid}",
                    "cancel_url": f"{self.base()}/fal/{app}/requests/{rid}/cancel"}
            with LOCK:
                JOBS[rid] = {"model": model, "kind": kind, "input": payload, "submitted": time.time(), "cancelled": False, "app": app}
            return self.send(200, dict(request_id=rid, queue_position=0, **urls), headers={"x-fal-request-id": rid})
        # /{owner}/{app}/requests/{id}[/status|/cancel]
        if len(parts) < 4 or parts[2] != "requests":
            self.record("fal.unknown", body)
            return self.send(404, {"detail": "Not found"})
        rid = parts[3]
        tail = parts[4] if len(parts) > 4 else None
        route = {"status": "fal.status", "cancel": "fal.cancel", None: "fal.result"}.get(tail, "fal.unknown")
        self.record(route, body)
        if not self.authorised("Authorization", "fal", "Key "):
            return
        if self.fault(route):
            return
        with LOCK:
            job = JOBS.get(rid)
        if job is None or job["app"] != "/".join(parts[:2]):
            return self.send(404, {"detail": "Request not found"})
        elapsed = time.time() - job["submitted"]
        work = self.settings.get("fal_work_seconds", 0.2)
        state = "COMPLETED" if elapsed >= work else "IN_PROGRESS" if elapsed >= work / 2 else "IN_QUEUE"
        if job["cancelled"]:
            state = "COMPLETED"
        if route == "fal.cancel" and method == "PUT":
            if state == "IN_QUEUE":
                job["cancelled"] = True
                return self.send(202, {"status": "CANCELLATION_REQUESTED"})
            return self.send(400, {"status": "ALREADY_COMPLETED" if state == "COMPLETED" else "IN_PROGRESS"})
        urls = {"status_url": f"{self.base()}/fal/{job['app']}/requests/{rid}/status",
                "response_url": f"{self.base()}/fal/{job['app']}/requests/{rid}",
                "cancel_url": f"{self.base()}/fal/{job['app']}/requests/{rid}/cancel"}
        if route == "fal.status":
            status = {"status": state, "request_id": rid, "logs": [], **urls}
            if state == "IN_QUEUE":
                status["queue_position"] = 0
            if state == "COMPLETED":
                status["metrics"] = {"inference_time": work}
            return self.send(200 if state == "COMPLETED" else 202, status)
        if route == "fal.result":
            if state != "COMPLETED":
                return self.send(400, {"detail": "Request is still in progress"})
            if job["cancelled"]:
                return self.send(400, {"detail": "Request was cancelled"})
            problems = fal_validate(job["kind"], job["input"])
            if problems:
                return self.send(422, {"detail": problems}, headers={"x-fal-request-id": rid})
            payload = job["input"]
            ratio = payload.get("aspect_ratio")
            if job["kind"] == "image":
                name, w, h = make_image(rid, ratio)
                result = {"images": [{"url": f"{self.base()}/media/{name}", "content_type": "image/png", "file_name": name,
                                      "width": w, "height": h}], "description": ""}
            else:
                seconds = int(str(payload.get("duration", "5")).rstrip("s"))
                name = make_clip(seconds, ratio, payload.get("generate_audio", True))
                result = {"video": {"url": f"{self.base()}/media/{name}", "content_type": "video/mp4", "file_name": name}}
            return self.send(200, result, headers={"x-fal-request-id": rid})
        self.send(404, {"detail": "Not found"})

    # Gemini API: generateContent and Veo's predictLongRunning

    def google(self, method, path, body):
        if path.endswith(":generateContent") and method == "POST":
            self.record("gemini.generate", body)
            if not self.authorised("x-goog-api-key", "gemini"):
                return
            if self.fault("gemini.generate"):
                return
            try:
                request = json.loads(body)
                parts = request["contents"][0]["parts"]
            except Exception:
                return self.send(400, {"error": {"code": 400, "message": "Invalid JSON payload", "status": "INVALID_ARGUMENT"}})
            images = [p for p in parts if "inlineData" in p or "inline_data" in p]
            for p in images:
                data = p.get("inlineData") or p.get("inline_data")
                if image_from_data_uri(f"data:image/png;base64,{data.get('data', '')}") is None:
                    return self.send(400, {"error": {"code": 400, "message": "Unable to process input image", "status": "INVALID_ARGUMENT"}})
            ratio = request.get("generationConfig", {}).get("imageConfig", {}).get("aspectRatio")
            w, h = size_for(ratio)
            data = base64.b64encode(png(w, h, colour(body.decode(errors="ignore")))).decode()
            return self.send(200, {"candidates": [{"content": {"role": "model", "parts": [
                {"text": "Here is the edited image."}, {"inlineData": {"mimeType": "image/png", "data": data}}]},
                "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 1290, "candidatesTokenCount": 1290},
                "modelVersion": "gemini-2.5-flash-image", "responseId": uuid.uuid4().hex[:20]})
        if path.endswith(":predictLongRunning") and method == "POST":
            self.record("veo.submit", body)
            if not self.authorised("x-goog-api-key", "gemini"):
                return
            if self.fault("veo.submit"):
                return
            model = path.split("/models/")[1].split(":")[0]
            try:
                request = json.loads(body)
                instance = request["instances"][0]
                params = request.get("parameters", {})
                base64.b64decode(instance["image"]["bytesBase64Encoded"], validate=True)
            except Exception:
                return self.send(400, {"error": {"code": 400, "message": "instances[0].image is required", "status": "INVALID_ARGUMENT"}})
            op = uuid.uuid4().hex[:12]
            with LOCK:
                OPERATIONS[op] = {"model": model, "submitted": time.time(), "params": params}
            return self.send(200, {"name": f"models/{model}/operations/{op}"})
        if "/operations/" in path and method == "GET":
            self.record("veo.poll", body)
            if not self.authorised("x-goog-api-key", "gemini"):
                return
            if self.fault("veo.poll"):
                return
            op_id = path.rsplit("/", 1)[1]
            with LOCK:
                op = OPERATIONS.get(op_id)
            if op is None:
                return self.send(404, {"error": {"code": 404, "message": "Operation not found", "status": "NOT_FOUND"}})
            name = f"models/{op['model']}/operations/{op_id}"
            if time.time() - op["submitted"] < self.settings.get("veo_work_seconds", 0.3):
                return self.send(200, {"name": name, "metadata": {}})
            seconds = int(op["params"].get("durationSeconds", 8))
            clip = make_clip(seconds, op["params"].get("aspectRatio"))
            file_id = clip[:-4]
            return self.send(200, {"name": name, "done": True, "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {"generatedSamples": [{"video": {"uri": f"{self.base()}/google/v1beta/files/{file_id}:download?alt=media"}}]}}})
        if path.startswith("/v1beta/files/") and method == "GET":
            self.record("veo.download", body)
            if not self.authorised("x-goog-api-key", "gemini"):
                return
            if self.fault("veo.download"):
                return
            file_id = path[len("/v1beta/files/"):].split(":")[0]
            # Like Google's storage: a redirect to a signed media URL on another path.
            return self.send(302, b"", "text/plain", headers={"Location": f"{self.base()}/media/{file_id}.mp4"})
        self.record("google.unknown", body)
        self.send(404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}})

    # ElevenLabs text-to-speech

    def eleven(self, method, parts, body):
        timestamps = len(parts) == 4 and parts[3] == "with-timestamps"
        if method == "POST" and (len(parts) == 3 or timestamps) and parts[:2] == ["v1", "text-to-speech"]:
            self.record("eleven.tts", body)
            if not self.authorised("xi-api-key", "elevenlabs"):
                return
            if self.fault("eleven.tts"):
                return
            try:
                request = json.loads(body)
                text = request["text"]
            except Exception:
                return self.send(422, {"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "value_error.missing"}]})
            if "output_format=" in self.path and "output_format=mp3_44100_128" not in self.path and "output_format=mp3" not in self.path:
                return self.send(422, {"detail": {"status": "invalid_output_format", "message": "unsupported output_format"}})
            name = make_speech(text)
            with open(os.path.join(MEDIA, name), "rb") as f:
                data = f.read()
            headers = {"request-id": uuid.uuid4().hex, "character-cost": str(len(text)),
                       "current-concurrent-requests": "1", "maximum-concurrent-requests": "5"}
            if not timestamps:
                return self.send(200, data, "audio/mpeg", headers=headers)
            seconds = speech_seconds(text)
            characters = list(text)
            step = seconds / max(1, len(characters))
            starts = [round(i * step, 3) for i in range(len(characters))]
            ends = [round((i + 1) * step, 3) for i in range(len(characters))]
            if self.settings.get("eleven_alignment") == "mismatched":
                ends = ends[:-1]
            alignment = {"characters": characters, "character_start_times_seconds": starts, "character_end_times_seconds": ends}
            answer = {"audio_base64": base64.b64encode(data).decode(), "alignment": alignment, "normalized_alignment": alignment}
            if self.settings.get("eleven_alignment") == "text-audio":
                answer["audio_base64"] = base64.b64encode(b"not audio at all").decode()
            return self.send(200, answer, headers=headers)
        self.record("eleven.unknown", body)
        self.send(404, {"detail": {"status": "not_found", "message": "Not found"}})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def main():
    global MEDIA, KEYS, TENANT_DIR, TLS
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--log", required=True)
    parser.add_argument("--media", required=True)
    parser.add_argument("--tenants", help="folder of per-tenant scenarios and logs")
    parser.add_argument("--scenario", default="{}")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    parser.add_argument("--keys", default='{"fal": "fal-test-key", "gemini": "gemini-test-key", "elevenlabs": "eleven-test-key"}')
    args = parser.parse_args()
    MEDIA = args.media
    os.makedirs(MEDIA, exist_ok=True)
    TENANT_DIR = args.tenants or os.path.dirname(os.path.abspath(args.log))
    KEYS = json.loads(args.keys)
    scenario = json.loads(args.scenario)
    TENANTS[""] = {"faults": scenario.get("faults", {}), "settings": scenario, "log": args.log, "media": MEDIA}
    TLS = bool(args.tls)
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

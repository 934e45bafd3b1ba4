"""Load a page in a real headless Chromium and report what a reader would notice: console errors and images
that did not render. Speaks the DevTools protocol over a websocket (websocket-client); no browser download.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websocket

CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",  # the test may run as root, where Chromium's own sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


def find_chromium() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    title: str = ""
    values: dict[str, object] = field(default_factory=dict)  # what each `evaluate` expression gave

    @property
    def broken_images(self) -> list[dict]:
        return [image for image in self.images if not image["ok"]]


class _Session:
    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f"no {method} within {timeout} s")


def load_page(path: Path, *, settle: float = 0.5, evaluate: dict[str, str] | None = None) -> PageReport:
    """Open `path` (a local HTML file) in headless Chromium; console errors and every image's state.

    `evaluate` maps names to JavaScript expressions run by the harness (not by the page, whose policy forbids
    scripts) after the page loaded, e.g. to read the order of headings; their JSON values land in `values`.
    """
    binary = find_chromium()
    if binary is None:
        raise RuntimeError("no Chromium found; scripts/test.sh installs Debian's chromium-headless-shell")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            endpoint = None
            deadline = time.monotonic() + 60
            while endpoint is None and time.monotonic() < deadline:
                line = process.stderr.readline()
                if not line and process.poll() is not None:
                    raise RuntimeError(f"Chromium exited with {process.returncode} before it listened")
                if match := re.search(r"DevTools listening on (ws://\S+)", line):
                    endpoint = match.group(1)
            if endpoint is None:
                raise RuntimeError("Chromium did not open its DevTools endpoint within 60 s")
            browser = _Session(endpoint)
            target = browser.call("Target.createTarget", url="about:blank")["targetId"]
            page = _Session(re.sub(r"/devtools/browser/.*", f"/devtools/page/{target}", endpoint))
            for domain in ("Page", "Runtime", "Log"):
                page.call(f"{domain}.enable")
            page.call("Page.navigate", url=Path(path).resolve().as_uri())
            page.wait_for("Page.loadEventFired")
            time.sleep(settle)
            images = page.call(
                "Runtime.evaluate",
                expression="Array.from(document.images).map(i => ({alt: i.alt, ok: i.complete && "
                "i.naturalWidth > 0, width: i.naturalWidth, height: i.naturalHeight}))",
                returnByValue=True,
            )["result"]["value"]
            title = page.call("Runtime.evaluate", expression="document.title", returnByValue=True)
            values = {
                name: page.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get(
                    "value"
                )
                for name, expression in (evaluate or {}).items()
            }
            page.ws.settimeout(0.2)
            try:
                while True:
                    page.events.append(json.loads(page.ws.recv()))
            except websocket.WebSocketTimeoutException:
                pass
            report = PageReport(images=images, title=title["result"]["value"], values=values)
            for event in page.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.exceptionThrown":
                    report.console_errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
                elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    report.console_errors.append(json.dumps(params.get("args", []))[:500])
                elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                    report.console_errors.append(params["entry"].get("text", "")[:500])
            page.ws.close()
            browser.ws.close()
            return report
        finally:
            process.kill()
            process.wait()

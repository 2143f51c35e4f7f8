"""A real annotator in a real browser: headless Debian Chromium driven by Playwright labels a
pushed task in Label Studio's web UI, and `curate pull` stores exactly that annotation."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from curate.labelstudio.client import connect
from curate.labelstudio.pull import pull
from curate.labelstudio.push import push
from curate.labelstudio.server import manage
from curate.prelabel import prelabel
from curate.project import Project
from curate.records import Document
from curate.store import queries

TEXT = "Agnes Callamard said Iran broke the law in Baghdad."
PASSWORD = "Curate-browser-test-1"
# Select a phrase in the labeling view the way a drag leaves it: one Range in the page selection.
SELECT_TEXT = """([needle]) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, at = node.data.indexOf(needle);
    if (at >= 0 && node.parentElement.closest(".lsf-richtext__line")) {
      const range = document.createRange();
      range.setStart(node, at); range.setEnd(node, at + needle.length);
      const selection = window.getSelection();
      selection.removeAllRanges(); selection.addRange(range);
      return selection.toString();
    }
  }
  return null;
}"""


def _set_password(server: Any, email: str) -> None:
    done = manage(server, "reset_password", "--username", email, "--password", PASSWORD)
    assert "Password successfully changed" in done.stdout


def test_an_annotator_labels_a_task_in_the_browser_and_pull_stores_it(
    project_dir: Path, labelstudio_server: Any, labelstudio: tuple[str, str]
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing; `make test` installs it"
    url, token = labelstudio
    project = Project.load(project_dir)
    store = project.open_store()
    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(text=TEXT, title="browser")])
    document_id = Document(text=TEXT).id
    prelabel(store, project.labeller_context(), ["gazetteer.v1"])
    with connect(url, token) as client:
        push(store, project, client, url)
        with store.connect() as connection:
            annotator = queries.assignment_map(connection)[document_id].pop()
            project_id = int(
                {
                    a: p
                    for p, a in queries.external_ids(connection, "labelstudio", "project").items()
                }[annotator]
            )
        [task] = list(client.tasks.list(project=project_id, fields="all"))
        assert task.predictions  # Iran and Baghdad suggested by the gazetteer
    email = f"{annotator}@example.org"
    _set_password(labelstudio_server, email)

    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})

        def only_loopback(route: Any) -> None:
            if route.request.url.startswith("http://127.0.0.1"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_loopback)
        page = context.new_page()
        page.goto(f"{url}/user/login/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{url}/projects/{project_id}/data")
        page.get_by_role("button", name="Label All Tasks").click(timeout=60_000)
        page.locator("button:visible", has_text="Submit").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        if page.get_by_text("Labeling Instructions").is_visible():
            page.keyboard.press("Escape")  # the guidelines open first; close them
        # The gazetteer's suggestions (Iran, Baghdad) are on the page: keep them and add one.
        page.keyboard.press("p")  # PERSON, by its hotkey
        assert page.evaluate(SELECT_TEXT, ["Agnes Callamard"]) == "Agnes Callamard"
        # In headless Chromium a synthetic CDP drag leaves no selection in this view, so the
        # selection is made as a Range and completed by the mouseup Label Studio listens for.
        page.locator(".lsf-richtext__line").first.dispatch_event("mouseup", {"bubbles": True})
        page.wait_for_timeout(1000)
        page.screenshot(path=str(project_dir / "labelled.png"))
        if page.get_by_text("Labeling Instructions").is_visible():
            page.keyboard.press("Escape")
        page.get_by_text("against").first.click(timeout=10_000)  # stance toward Iran
        page.locator("button:visible", has_text="Submit").first.click()
        page.wait_for_timeout(2000)
        browser.close()
    assert all(not u.startswith("http://127.0.0.1") for u in outside)

    with connect(url, token) as client:
        report = pull(store, project, client, url)
    assert report.new_annotations == 1
    with store.connect() as connection:
        [stored] = queries.annotation_history(connection, document_id, annotator)
    assert {(s.text, s.label) for s in stored.spans} == {
        ("Agnes Callamard", "PERSON"),
        ("Iran", "GPE"),
        ("Baghdad", "GPE"),
    }
    assert all(TEXT[s.start : s.end] == s.text for s in stored.spans)
    assert [(s.target, s.label) for s in stored.stances] == [("Iran", "against")]
    assert stored.origin == "labelstudio"
    # The web UI leaves parent_prediction empty; the results' origin says what was kept.
    assert stored.from_prelabel is True
    use = stored.suggestion_use
    assert use is not None
    assert sorted(TEXT[s:e] for s, e, _label, _labeller in use["accepted"]) == ["Baghdad", "Iran"]
    assert use["rejected"] == [] and use["changed"] == []
    store.close()

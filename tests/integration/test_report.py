"""The HTML fleet report: real playbook runs on the lab scenarios, opened in headless Chromium.

Four scenarios run side by side on one engine as four inventory hosts (each judged only for its
own containers through fanout_consumers), next to a host whose engine is missing and one that
cannot be reached. Every page load must make no request but the page itself, fail nothing, and
log no console error; the assertions read the rendered DOM and the screenshot's pixels.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct

import pytest

from tests.helpers import ROOT, run_playbook
from tests.integration.browser import Chromium, png_pixels
from tests.integration.fleet import host_outcome, statuses, summary, write_inventory

SCENARIOS = {"incident_host": ("incident", 18480), "shared_host": ("shared", 18481), "replicas_host": ("replicas", 18482), "clean_host": ("clean", 18483)}
READY = "window.fanoutReport.ready"
DOCS_SHOT = ROOT / "docs" / "report-incident.png"
STALE_RED, LIVE_GREEN = (198, 40, 40), (46, 125, 50)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _probe(port):
    return {"url": f"http://127.0.0.1:{port}/", "origin": "https://app.example", "method": "PUT", "count": 20, "backend_name": "api", "backend_port": 8000}


@pytest.fixture(scope="module")
def runs(lab, docker_host, tmp_path_factory):
    """diagnose on six hosts, remediate --check on the two broken ones, remediate on the incident."""
    if not shutil.which("ssh"):
        pytest.fail("the unreachable host needs the ssh client: `make test` installs openssh-client (tests/lab/engine.sh, as root)", pytrace=False)
    base = tmp_path_factory.mktemp("report")
    hosts, infos = {}, {}
    for host, (scenario, port) in SCENARIOS.items():
        infos[host] = lab(scenario, port=port)
        hosts[host] = {
            "fanout_docker_host": docker_host,
            "fanout_consumers": infos[host]["containers"],
            "fanout_probes": [_probe(port)],
            "fanout_probe_backends": True,
        }
    hosts["shared_host"]["fanout_keep"] = ["project:shop_legacy"]
    hosts["dead_host"] = {"fanout_docker_host": f"unix://{base}/no-engine.sock"}
    hosts["unreachable_host"] = {
        "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1",
        "ansible_port": _closed_port(),
        "ansible_ssh_common_args": "-o ConnectTimeout=5",
    }
    inventory = write_inventory(base / "inventory.yml", hosts)
    out = {}
    for name, playbook, limit, check in [
        ("diagnose", "fanout.docker.diagnose", "all", False),
        ("check", "fanout.docker.remediate", "incident_host:shared_host", True),
        ("fixed", "fanout.docker.remediate", "incident_host", False),
    ]:
        directory = base / name
        run = run_playbook(playbook, {"fanout_summary_dir": str(directory), "fanout_hosts": limit}, inventory=inventory, check=check, diff=check)
        assert (directory / "report.html").is_file(), f"{name}: no report.html\n{run}"
        out[name] = {"dir": directory, "run": run, "url": (directory / "report.html").as_uri()}
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium.page()
    chromium.close()


def _open(page, url, fresh=False):
    """Load the report (once; fresh=True loads it again) and check what every load must hold:
    self-contained, nothing failed, no console error, every drawing done."""
    if getattr(page, "current", None) == url and not fresh:
        return
    page.current = None
    load = page.load(url, READY)
    assert load.requests == [url], f"the page fetched more than itself: {load.requests}"
    assert load.failed == []
    assert load.errors == []
    assert load.ready == page.evaluate("document.querySelectorAll('figure.graph').length") > 0
    assert page.evaluate("document.documentElement.getAttribute('data-report')") == "drawn"
    assert page.evaluate("document.querySelectorAll('figure.graph svg').length") == load.ready
    # Nothing points outside the page: links are in-page anchors, nothing has a src.
    assert page.evaluate("[...document.querySelectorAll('[src], link[href]')].length") == 0
    assert page.evaluate("[...document.querySelectorAll('a[href]')].filter(a => !a.getAttribute('href').startsWith('#')).length") == 0
    page.current = url


VISIBLE = """(selector => {
  const el = document.querySelector(selector);
  if (!el) return null;
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getBoundingClientRect(), st = getComputedStyle(el), first = el.getClientRects()[0] || r;
  const hit = document.elementFromPoint(first.left + first.width / 2, first.top + first.height / 2);
  return {width: r.width, height: r.height, shown: st.visibility !== 'hidden' && st.display !== 'none' && Number(st.opacity) > 0,
          on_top: !!hit && (hit === el || el.contains(hit)), text: el.textContent,
          label: [...el.querySelectorAll('text')].map(x => x.textContent).join('|'),
          title: (el.querySelector(':scope > title') || {}).textContent || null, classes: [...el.classList],
          page: {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}};
})"""


def _visible(page, selector):
    """What the user sees of one element: present, laid out, not hidden, and not covered by anything."""
    seen = page.evaluate(f"{VISIBLE}({json.dumps(selector)})")
    assert seen is not None, f"nothing matches {selector}"
    assert seen["width"] > 0 and seen["height"] > 0 and seen["shown"] and seen["on_top"], (selector, seen)
    return seen


def _each(page, selector, mapper):
    """[mapper(element) for every element matching selector], mapper being JavaScript."""
    return page.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})].map({mapper})")


def _section(host):
    return f"section.host[data-host={json.dumps(host)}]"


def _backend(host, container):
    return f"{_section(host)} svg g.node.backend[data-container={json.dumps(container)}]"


def _share(page, box, colour, tolerance=40):
    """Share of a screenshot clip's pixels within `tolerance` of `colour` (per channel)."""
    _w, _h, rows = png_pixels(page.screenshot(box))
    pixels = [p for row in rows for p in row]
    near = sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, colour)))
    return near / len(pixels)


def test_diagnose_report_draws_every_scenario(runs, browser, tmp_path):
    directory = runs["diagnose"]["dir"]
    assert statuses(directory) == {
        "incident_host": "broken",
        "shared_host": "broken",
        "replicas_host": "clean",
        "clean_host": "clean",
        "dead_host": "error",
        "unreachable_host": "unreachable",
    }
    _open(browser, runs["diagnose"]["url"])

    # incident: the name `api`, highlighted as a collision, with both backends behind it and their roles.
    group = _visible(browser, f"{_section('incident_host')} svg g.group.verdict-collision")
    assert group["label"].split("|")[0] == "`api` · collision · round-robin"
    stale = _visible(browser, _backend("incident_host", "app_old-api-1"))
    live = _visible(browser, _backend("incident_host", "app-api-1"))
    assert "role-suspected_stale" in stale["classes"] and stale["label"] == "app_old-api-1|suspected stale"
    assert "role-live" in live["classes"] and live["label"] == "app-api-1|live"
    # The evidence is on hover: the SVG title carries every piece the facts gave.
    evidence = [b for b in host_outcome(directory, "incident_host")["ambiguous_names"][0]["backends"] if b["container"] == "app_old-api-1"][0]["evidence"]
    assert {e["code"] for e in evidence} >= {"image_reference_moved", "foreign_compose_project"}
    for e in evidence:
        assert f"evidence: {e['detail']}" in stale["title"]
    assert "no evidence against it" in live["title"]
    # ...and beside it, in the table under the drawing.
    row = _visible(browser, f"{_section('incident_host')} tr.backend-row[data-container='app_old-api-1']")
    assert all(e["detail"] in row["text"] for e in evidence)
    # The screenshot shows them in their colours: the stale one red, the live one green.
    assert _share(browser, stale["page"], STALE_RED) > 0.03
    assert _share(browser, live["page"], LIVE_GREEN) > 0.03
    assert _share(browser, stale["page"], LIVE_GREEN) == 0
    # The proxy asks app_net first, then the stale app_net_old, which only knows `api` (shadowed).
    networks = browser.evaluate(f"""[...document.querySelectorAll({json.dumps(_section("incident_host") + " svg g.node.network")})]
        .map(n => [[...n.querySelectorAll('text')].map(t => t.textContent), n.classList.contains('stale')])""")
    assert networks == [[["app_net", "answers `api`"], False], [["app_net_old", "knows `api` (shadowed)", "stale network"], True]]
    proxy_edges = browser.evaluate(f"""[...document.querySelectorAll({json.dumps(_section("incident_host") + " svg g.edge.ask")})]
        .filter(e => document.querySelector('[data-id="' + e.dataset.source + '"]').textContent.includes('app-proxy-1'))
        .map(e => [e.querySelector('text').textContent, document.querySelector('[data-id="' + e.dataset.target + '"] text').textContent])""")
    assert sorted(proxy_edges) == [["1st", "app_net"], ["2nd", "app_net_old"]]

    # shared: two compose projects on one external network; the legacy side is suspected stale and kept.
    _visible(browser, f"{_section('shared_host')} svg g.group.verdict-collision")
    legacy = _visible(browser, _backend("shared_host", "shop_legacy-api-1"))
    assert {"role-suspected_stale", "kept"} <= set(legacy["classes"])
    assert legacy["label"] == "shop_legacy-api-1|suspected stale, kept (keep entry project:shop_legacy)"
    assert "role-live" in _visible(browser, _backend("shared_host", "shop-api-1"))["classes"]

    # replicas: one name, two identical containers, both marked replica, the name not a collision.
    _visible(browser, f"{_section('replicas_host')} svg g.group.verdict-replicas")
    for replica in ("web-api-1", "web-api-2"):
        assert "role-replica" in _visible(browser, _backend("replicas_host", replica))["classes"]
    assert browser.evaluate(f"document.querySelectorAll({json.dumps(_section('replicas_host') + ' svg g.group.verdict-collision')}).length") == 0

    # clean: no name group, just its containers on their network.
    clean = _section("clean_host")
    assert browser.evaluate(f"document.querySelectorAll({json.dumps(clean + ' svg g.group')}).length") == 0
    drawn = browser.evaluate(f"[...document.querySelectorAll({json.dumps(clean + ' svg g.node')})].map(n => n.querySelector('text').textContent).sort()")
    assert drawn == ["solo-api-1", "solo-proxy-1", "solo_default"]
    _visible(browser, f"{clean} svg g.node.network")

    # One screenshot of the overview and the incident host: docs/report-incident.png (FANOUT_UPDATE_DOCS=1 rewrites it).
    box = browser.evaluate("""(() => { scrollTo(0, 0); const a = document.getElementById('overview').getBoundingClientRect(),
        b = document.getElementById('host-incident_host').getBoundingClientRect();
        return {x: 0, y: a.top + scrollY - 12, width: document.documentElement.clientWidth, height: b.bottom - a.top + 24}; })()""")
    png = browser.screenshot(box)
    assert png[12:16] == b"IHDR" and struct.unpack("!II", png[16:24]) == (round(box["width"]), round(box["height"]))
    (tmp_path / "report-incident.png").write_bytes(png)
    if os.environ.get("FANOUT_UPDATE_DOCS") == "1":
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "report-incident.png", DOCS_SHOT)

    # The host whose engine is missing says why; the unreachable one says it was not reached. No drawing for either.
    error = _visible(browser, f"{_section('dead_host')} p.error")
    assert error["text"] == host_outcome(directory, "dead_host")["error"] and "the socket does not exist" in error["text"]
    assert browser.evaluate(f"document.querySelectorAll({json.dumps(_section('dead_host') + ' svg')}).length") == 0
    assert "no result: host unreachable or not run" in _visible(browser, _section("unreachable_host"))["text"]


def test_probe_results_match_the_run(runs, browser):
    _open(browser, runs["diagnose"]["url"])
    [probe] = host_outcome(runs["diagnose"]["dir"], "incident_host")["probes"]
    assert probe["verdict"] == "mixed_backends" and 0 < probe["passed"] < probe["total"]
    section = _section("incident_host")
    ratio = _visible(browser, f"{section} .probes .ratio")
    assert ratio["text"] == f"{round(probe['success_ratio'] * 100)}%" and "bad" in ratio["classes"]
    reasons = browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(section + ' table.reasons tbody tr')})].map(r => [...r.cells].map(c => c.textContent))"
    )
    assert reasons == [[k, str(v)] for k, v in probe["failures_by_reason"].items()]
    # One row per backend fingerprint, with its pass/fail split; the header that tells them apart is marked.
    rows = browser.evaluate(f"""[...document.querySelectorAll({json.dumps(section + " table.fingerprints tbody tr")})]
        .map(r => ({{marked: [...r.cells[0].querySelectorAll('mark')].map(m => m.textContent), split: r.cells[2].textContent}}))""")
    assert rows == [{"marked": [f"Server: {g['fingerprint']['Server']}"], "split": f"{g['passed']} pass / {g['failed']} fail"} for g in probe["groups"]]
    assert {g["passed"] == 0 for g in probe["groups"]} == {True, False}
    assert _visible(browser, f"{section} .probes mark.differing")["text"] == "Server"
    # Each backend probed directly: the stale one fails every time, the live one never.
    direct = _each(browser, section + " .probes table:last-of-type tbody tr", "r => [r.cells[1].textContent, r.cells[4].textContent]")
    assert sorted(direct) == [["app-api-1", "100%"], ["app_old-api-1", "0%"]]


def test_overview_sorts_and_links_to_each_host(runs, browser):
    _open(browser, runs["diagnose"]["url"], fresh=True)
    order = "[...document.querySelectorAll('#hosts tbody tr')].map(r => r.getAttribute('data-host'))"
    inventory_order = ["incident_host", "shared_host", "replicas_host", "clean_host", "dead_host", "unreachable_host"]
    assert browser.evaluate(order) == inventory_order
    counts = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#status-counts .chip')].map(c => [c.dataset.status, Number(c.querySelector('b').textContent)]))"
    )
    assert counts == summary(runs["diagnose"]["dir"])["counts"]

    def click(column):
        box = _visible(browser, f"#hosts th[data-key={column}] button")["page"]
        scroll = browser.evaluate("[scrollX, scrollY]")
        browser.click(box["x"] - scroll[0] + box["width"] / 2, box["y"] - scroll[1] + box["height"] / 2)

    click("rank")  # a real mouse click on the header: the most urgent first
    assert browser.evaluate(order) == ["dead_host", "unreachable_host", "incident_host", "shared_host", "clean_host", "replicas_host"]
    assert browser.evaluate("document.querySelector('#hosts th[data-key=rank]').getAttribute('aria-sort')") == "ascending"
    click("rank")
    assert browser.evaluate(order) == ["replicas_host", "clean_host", "shared_host", "incident_host", "unreachable_host", "dead_host"]
    click("host")
    assert browser.evaluate(order) == sorted(inventory_order)

    # Every row links to its host's section; following a link brings that section into view.
    links = browser.evaluate("[...document.querySelectorAll('#hosts tbody a')].map(a => [a.textContent, a.getAttribute('href')])")
    for host, href in links:
        assert browser.evaluate(f"document.getElementById({json.dumps(href[1:])}).getAttribute('data-host')") == host
    box = _visible(browser, "#hosts tbody a[href='#host-shared_host']")["page"]
    scroll = browser.evaluate("[scrollX, scrollY]")
    browser.click(box["x"] - scroll[0] + box["width"] / 2, box["y"] - scroll[1] + box["height"] / 2)
    assert browser.evaluate("location.hash") == "#host-shared_host"
    top = browser.evaluate("document.getElementById('host-shared_host').getBoundingClientRect().top")
    assert 0 <= top < browser.evaluate("innerHeight / 2")


def test_check_mode_report_shows_the_plan_and_what_is_left_alone(runs, browser):
    directory = runs["check"]["dir"]
    assert runs["check"]["run"].rc != 0  # shared_host stays broken: its stale side is kept
    assert statuses(directory) == {"incident_host": "would_fix", "shared_host": "broken"}
    _open(browser, runs["check"]["url"])
    section = _section("incident_host")
    assert _visible(browser, f"{section} .cleanup h3")["text"] == "Cleanup (check mode: what remediate would do)"
    shown = browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(section + ' tr.action-row')})].map(r => [r.dataset.status, r.cells[1].textContent, r.cells[2].textContent])"
    )
    planned = host_outcome(directory, "incident_host")["cleanup"]["actions"]
    assert shown == [["planned", a["action"].replace("_", " "), a["target"] + (f" from {a['network']}" if a.get("network") else "")] for a in planned]
    assert [a["action"] for a in planned] == ["stop_container", "remove_container", "disconnect", "remove_network"]
    # The drawing marks what would go: the stale container, the proxy's link to the stale network, the network.
    stale = _visible(browser, _backend("incident_host", "app_old-api-1"))
    assert "action-planned" in stale["classes"] and stale["label"] == "app_old-api-1|suspected stale|would stop and would remove"
    assert "action-planned" not in _visible(browser, _backend("incident_host", "app-api-1"))["classes"]
    marked = _each(browser, section + " svg .action-planned", "n => n.getAttribute('data-container') || n.querySelector('text').textContent")
    assert sorted(marked) == ["2nd", "app_net_old", "app_old-api-1"]  # the proxy's 2nd network, the network, the container
    # shared: nothing planned; what was left alone, and why.
    left = browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(_section('shared_host') + ' tr.left-alone')})].map(r => [...r.cells].map(c => c.textContent))"
    )
    assert ["container", "shop_legacy-api-1", "matches keep entry 'project:shop_legacy'"] in left
    assert left == [[x["kind"], x["name"], x["reason"]] for x in host_outcome(directory, "shared_host")["cleanup"]["left_alone"]]
    assert "kept" in _visible(browser, _backend("shared_host", "shop_legacy-api-1"))["classes"]


def test_fixed_report_shows_before_and_after(runs, browser):
    directory = runs["fixed"]["dir"]
    assert runs["fixed"]["run"].rc == 0, runs["fixed"]["run"]
    assert statuses(directory) == {"incident_host": "fixed"}
    _open(browser, runs["fixed"]["url"])
    section = _section("incident_host")
    captions = browser.evaluate(f"[...document.querySelectorAll({json.dumps(section + ' figure.graph figcaption')})].map(c => c.textContent)")
    assert [c.split(":")[0] for c in captions] == ["Before the cleanup", "After the cleanup"]
    removed = _visible(browser, f"{section} figure.graph:first-of-type svg g.node.backend[data-container='app_old-api-1']")
    assert "action-done" in removed["classes"] and removed["label"] == "app_old-api-1|suspected stale|stopped and removed"
    after = browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(section + ' figure.graph:last-of-type svg g.node')})].map(n => n.querySelector('text').textContent).sort()"
    )
    assert after == ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1", "app_net"]
    done = browser.evaluate(f"[...document.querySelectorAll({json.dumps(section + ' tr.action-row')})].map(r => r.dataset.status)")
    assert done == ["done"] * 4


HOSTILE = '</script><img src="x" onerror="console.error(\'injected\')"><script>console.error("injected")</script>'


def test_names_and_headers_from_a_host_stay_text(browser, tmp_path):
    """Container names, evidence and response headers come from the managed hosts: the page shows them as text."""
    backend = {
        "container": "api" + HOSTILE,
        "role": "suspected_stale",
        "kept_by": None,
        "evidence": [{"code": "x", "detail": "evidence " + HOSTILE}],
        "addresses": [],
    }
    live = {"container": "app-api-1", "role": "live", "kept_by": None, "evidence": [], "addresses": []}
    consumer, name, network = "proxy" + HOSTILE, "api" + HOSTILE, "net" + HOSTILE
    outcome = {
        "host": "evil_host",
        "status": "broken",
        "mode": "diagnose",
        "check_mode": False,
        "messages": [HOSTILE],
        "violations": ["violation " + HOSTILE],
        "ambiguous_names": [
            {
                "name": name,
                "verdict": "collision",
                "kinds": ["round_robin"],
                "reason": HOSTILE,
                "consumers": [consumer],
                "networks": [{"network": network, "answers": [backend["container"], "app-api-1"]}],
                "backends": [backend, live],
            }
        ],
        "resolution_orders": {consumer: [network]},
        "stale_networks": [],
        "suspected_stale_containers": [],
        "backend_probes": [],
        "probes": [
            {
                "url": "http://127.0.0.1:1/" + HOSTILE,
                "origin": "https://app.example",
                "method": "PUT",
                "success_ratio": 0.5,
                "min_success_ratio": 1.0,
                "ok": False,
                "total": 2,
                "passed": 1,
                "failures": 1,
                "errors": 0,
                "verdict": "mixed_backends",
                "summary": HOSTILE,
                "failures_by_reason": {"acao_missing": 1},
                "differing_headers": ["Server"],
                "groups": [{"count": 1, "passed": 0, "failed": 1, "fingerprint": {"Server": HOSTILE}, "statuses": {"200": 1}, "reasons": {"acao_missing": 1}}],
            }
        ],
        "cleanup": {"actions": [], "left_alone": [{"kind": "container", "name": HOSTILE, "reason": HOSTILE}], "planned": 0, "done": 0},
    }
    (tmp_path / "outcome.json").write_text(json.dumps(outcome))
    (tmp_path / "play.yml").write_text(f"""
- hosts: evil_host
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        fanout_result: "{{{{ lookup('ansible.builtin.file', '{tmp_path / "outcome.json"}') | from_json }}}}"
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: fanout.docker.fanout
        tasks_from: summary
""")
    inventory = write_inventory(tmp_path / "inventory.yml", {"evil_host": {}})
    run = run_playbook(
        tmp_path / "play.yml",
        {"fanout_summary_dir": str(tmp_path / "out"), "fanout_report_path": str(tmp_path / "elsewhere" / "fleet.html")},
        inventory=inventory,
    )
    assert run.rc == 0, run
    assert not (tmp_path / "out" / "report.html").exists()  # fanout_report_path moves it
    url = (tmp_path / "elsewhere" / "fleet.html").as_uri()
    _open(browser, url)  # no request for "x", no "injected" console error
    assert browser.evaluate("document.querySelectorAll('img').length") == 0
    assert browser.evaluate("document.querySelectorAll('script').length") == 3  # data, elkjs, report.js: nothing injected
    stale = _visible(browser, f"{_section('evil_host')} svg g.node.backend.role-suspected_stale")
    assert stale["label"] == f"api{HOSTILE}|suspected stale"
    assert f"evidence: evidence {HOSTILE}" in stale["title"]
    assert _visible(browser, f"{_section('evil_host')} table.fingerprints mark")["text"] == f"Server: {HOSTILE}"
    assert browser.evaluate("document.querySelector('#hosts tbody tr').getAttribute('data-host')") == "evil_host"

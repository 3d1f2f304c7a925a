// The staff console's script: live inbox and conversation, the KB test pane and preview,
// the CSV import with progress, broadcast progress. Pages work without it; it only adds.
"use strict";

const csrf = () => (document.querySelector('meta[name="csrf"]') || {}).content || "";

async function getJson(url) {
  const response = await fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
  // The session ended (expired, revoked, signed out elsewhere): show the sign-in page.
  if (response.status === 401) location.reload();
  if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || response.statusText);
  return response.json();
}

async function postForm(url, body) {
  const response = await fetch(url, {
    method: "POST", body, credentials: "same-origin",
    headers: {"Accept": "application/json", "X-CSRF-Token": csrf()},
  });
  const data = await response.json().catch(() => ({error: response.statusText}));
  return {ok: response.ok, data};
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function every(milliseconds, work) {
  // Polls while the tab is visible; a failed poll just waits for the next one.
  const run = async () => {
    if (document.visibilityState === "visible") {
      try { await work(); } catch (error) { /* next round */ }
    }
  };
  return setInterval(run, milliseconds);
}

function markNavigation() {
  const here = location.pathname.split("/")[2] || "inbox";
  document.querySelectorAll("nav a[data-nav]").forEach((link) => {
    if (link.dataset.nav === here) link.classList.add("current");
  });
}

function waitingBadge(handoffs) {
  const badge = document.getElementById("waiting-badge");
  if (!badge) return;
  const waiting = handoffs.filter((item) => item.status === "queued").length;
  badge.textContent = String(waiting);
  badge.hidden = waiting === 0;
  document.title = document.title.replace(/^\(\d+\) /, "");
  if (waiting) document.title = `(${waiting}) ${document.title}`;
}

function liveQueue() {
  const queue = document.getElementById("queue");
  if (!queue) return;
  const text = queue.dataset;
  let known = new Set([...queue.querySelectorAll("[data-id]")].map((node) => node.dataset.id));
  const refresh = async () => {
    const data = await getJson(text.feed);
    waitingBadge(data.handoffs);
    queue.replaceChildren();
    if (!data.handoffs.length) queue.append(element("p", {class: "empty"}, text.textEmpty));
    const now = new Set();
    for (const item of data.handoffs) {
      const id = String(item.id);
      now.add(id);
      const status = item.status === "queued" ? text.textQueued : text.textClaimed;
      const mine = item.agent === text.me ? " mine" : "";
      const link = element("a", {class: `handoff ${item.status}${mine}`, href: `/console/inbox/${id}`, "data-id": id},
        element("strong", {}, `#${id}`), ` ${item.name} `, element("span", {class: "muted"}, `${item.platform} · ${item.since}`),
        element("span", {class: "status"}, status + (item.agent ? ` · ${item.agent}` : "")));
      if (!known.has(id)) link.classList.add("fresh");
      queue.append(link);
    }
    known = now;
  };
  refresh().catch(() => {});
  every(2000, refresh);
}

function liveBadge() {
  if (document.getElementById("queue") || !document.getElementById("waiting-badge")) return;
  const refresh = async () => waitingBadge((await getJson("/console/inbox/feed")).handoffs);
  refresh().catch(() => {});
  every(10000, refresh);
}

function liveConversation() {
  const transcript = document.getElementById("transcript");
  if (!transcript) return;
  const state = document.getElementById("handoff-state");
  transcript.scrollTop = transcript.scrollHeight;
  const refresh = async () => {
    const data = await getJson(`${transcript.dataset.feed}?after=${transcript.dataset.after}`);
    for (const line of data.lines) {
      const classes = `line ${line.direction}${line.route === "relay" ? " relay" : ""}`;
      transcript.append(element("div", {class: classes, "data-id": String(line.id)},
        element("span", {class: "text"}, line.text),
        element("span", {class: "time"}, `${line.platform} · ${line.time}`)));
      transcript.dataset.after = String(line.id);
      transcript.scrollTop = transcript.scrollHeight;
    }
    // Taken, released or timed out elsewhere: the buttons on this page are stale.
    if (state && data.handoff.status !== state.dataset.status) location.reload();
  };
  every(2000, refresh);
  const canned = document.getElementById("canned");
  if (canned) canned.addEventListener("change", () => {
    const target = document.querySelector(canned.dataset.insert);
    if (canned.value && target) { target.value = canned.value; target.focus(); }
    canned.value = "";
  });
}

function draftWith(form, extra) {
  const body = new FormData(form);
  for (const [name, value] of Object.entries(extra || {})) body.set(name, value);
  return body;
}

function testPane() {
  const test = document.getElementById("test-form");
  const faq = document.getElementById("faq-form");
  if (!test || !faq) return;
  const result = document.getElementById("test-result");
  const words = result.dataset;
  const run = async () => {
    const question = document.getElementById("test-question").value;
    if (!question.trim()) return;
    const {ok, data} = await postForm(test.dataset.url, draftWith(faq, {question}));
    result.replaceChildren();
    if (!ok) { result.append(element("p", {class: "note error"}, data.error)); return; }
    const decision = data.outcome === "answer" ? `${words.textAnswer} ${data.faq_id}`
      : data.outcome === "did you mean" ? words.textSuggest : words.textFallback;
    result.append(element("p", {class: "decision"}, `${words.textOutcome}: `, element("strong", {id: "decision"}, decision)));
    const table = element("table", {class: "candidates"});
    data.candidates.forEach((candidate, index) => {
      const parts = Object.entries(candidate.components).map(([name, value]) => `${name} ${value}`).join(", ");
      const row = element("tr", {class: index === 0 && data.faq_id ? "winner" : ""},
        element("td", {}, candidate.faq_id), element("td", {class: "num"}, candidate.score.toFixed(3)),
        element("td", {class: "muted"}, `“${candidate.phrasing}” ${parts}`));
      table.append(row);
    });
    result.append(table);
    for (const problem of data.problems || []) result.append(element("p", {class: "muted small"}, problem));
  };
  test.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  // Live: the decision follows the question and the draft as they are typed.
  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(run, 500); };
  document.getElementById("test-question").addEventListener("input", later);
  faq.addEventListener("input", later);
  const button = document.getElementById("preview-button");
  const preview = document.getElementById("preview");
  button.addEventListener("click", async () => {
    const {ok, data} = await postForm(button.dataset.url, draftWith(faq));
    preview.hidden = false;
    preview.replaceChildren();
    if (!ok) { preview.append(element("p", {class: "note error"}, data.error)); return; }
    const text = preview.dataset;
    preview.append(element("p", {class: "muted"}, text.textChecked.replace("{count}", data.checked)));
    const sections = [["captured", text.textCaptured], ["taken", text.textTaken], ["lost", text.textLost]];
    let any = false;
    for (const [key, title] of sections) {
      if (!data[key].length) continue;
      any = true;
      const list = element("ul", {class: `moves ${key}`});
      for (const move of data[key]) {
        list.append(element("li", {}, `“${move.question}” `, element("span", {class: "muted"}, `${move.before || "—"} → ${move.after || text.textSuggest}`)));
      }
      preview.append(element("h3", {}, `${title} (${data[key].length})`), list);
    }
    if (!any) preview.append(element("p", {id: "preview-none"}, text.textNone));
  });
}

function importForm() {
  const form = document.getElementById("import-form");
  if (!form) return;
  const progress = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const report = document.getElementById("import-report");
  const apply = document.getElementById("apply");
  const words = form.dataset;
  form.querySelector('input[type=file]').addEventListener("change", () => { apply.disabled = true; });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const mode = (event.submitter && event.submitter.dataset.mode) || "check";
    const body = new FormData(form);
    body.set("mode", mode);
    // XMLHttpRequest: fetch cannot report upload progress.
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.url);
    request.setRequestHeader("X-CSRF-Token", csrf());
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false; progress.value = 0;
    status.textContent = words.textUploading;
    request.upload.addEventListener("progress", (step) => {
      if (step.lengthComputable) progress.value = Math.round(step.loaded * 90 / step.total);
      if (step.loaded === step.total) status.textContent = words.textChecking;
    });
    request.addEventListener("load", () => {
      progress.value = 100;
      let data = {};
      try { data = JSON.parse(request.responseText); } catch (error) { data = {error: request.statusText}; }
      report.replaceChildren();
      status.textContent = data.imported !== null && data.imported !== undefined
        ? words.textImported.replace("{count}", data.imported) : (data.summary || data.error || "");
      status.id = "import-status";
      if (data.errors && data.errors.length) {
        report.append(element("h3", {}, `${words.textErrors} (${data.errors.length})`));
        const list = element("ul", {class: "errors"});
        data.errors.forEach((line) => list.append(element("li", {}, line)));
        report.append(list);
      }
      if (data.warnings && data.warnings.length) {
        // Often many ("captured better by …"): folded, so that errors stay in sight.
        const list = element("ul", {class: "warnings"});
        data.warnings.forEach((line) => list.append(element("li", {}, line)));
        report.append(element("details", {},
          element("summary", {}, `${words.textWarnings} (${data.warnings.length})`), list));
      }
      apply.disabled = !(data.ok && mode === "check");
    });
    request.addEventListener("error", () => { status.textContent = "network error"; });
    request.send(body);
  });
}

function broadcastProgress() {
  const box = document.getElementById("progress");
  if (!box || box.dataset.finished === "yes") return;
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  const timer = every(2000, async () => {
    const data = await getJson(box.dataset.feed);
    const total = Object.values(data.outbox).reduce((a, b) => a + b, 0);
    bar.max = total || 1; bar.value = data.done;
    text.textContent = Object.entries(data.outbox).map(([status, count]) => `${status} ${count}`).join(" · ");
    if (data.finished) clearInterval(timer);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  markNavigation();
  liveQueue();
  liveBadge();
  liveConversation();
  testPane();
  importForm();
  broadcastProgress();
});

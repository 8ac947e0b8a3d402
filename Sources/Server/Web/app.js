// The page of `vecdb serve` (docs/SERVER.md, "The web page"): no dependencies, no build step; every request goes to
// this server's own API. The page's state is its URL, so a link reproduces what it shows.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "vecdb-api-key";
let served = null; // GET /v1/models

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = {};
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    if (response.status === 401) $("key-form").hidden = false;
    throw new APIError(response.status, data && data.error ? data.error.code : "", data && data.error ? data.error.message : text);
  }
  return data;
}

function showError(error) {
  const box = $("error");
  box.textContent = error instanceof APIError ? `${error.message} (HTTP ${error.status}, ${error.code})` : String(error.message || error);
  box.hidden = false;
}

function params() { return new URLSearchParams(location.search); }

function go(values) {
  const next = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== "") next.set(name, value);
  history.pushState(null, "", "?" + next.toString());
  render();
}

async function models() {
  if (!served) served = (await api("GET", "/v1/models")).models;
  return served;
}

function modelPicker(fieldset, names, chosen) {
  fieldset.querySelectorAll("label").forEach((label) => label.remove());
  for (const model of names) {
    const box = element("input", { type: "checkbox", value: model.name, name: "model" });
    box.checked = chosen.includes(model.name);
    fieldset.append(element("label", {}, box, " " + model.name + (model.lexical ? " (keywords)" : "")));
  }
}

function pickedModels(fieldset) {
  return [...fieldset.querySelectorAll("input:checked")].map((box) => box.value);
}

// MARK: Ask

async function renderAsk(p) {
  const all = await models();
  const chosen = p.get("models") ? p.get("models").split(",") : all.map((m) => m.name);
  modelPicker($("ask-models"), all, chosen);
  $("q").value = p.get("q") || "";
  $("k").value = p.get("k") || "10";
  $("fuse").value = p.get("fuse") || "";
  $("ask-where").value = p.get("where") || "";
  const columns = $("columns");
  columns.replaceChildren();
  if (!p.get("q")) return;
  const body = { text: p.get("q"), k: Number(p.get("k") || 10) };
  if (p.get("where")) body.where = parseWhere(p.get("where"));
  const lists = [];
  if (chosen.length === 1) {
    const data = await api("POST", "/v1/query", { ...body, model: chosen[0] });
    lists.push({ name: data.collection, results: data.results.map((r) => ({ ...r, ranks: {} })), others: [] });
  } else {
    const data = await api("POST", "/v1/query", { ...body, models: chosen });
    for (const name of data.order) lists.push({ name, results: data.models[name], others: data.order.filter((o) => o !== name), depth: data.depth });
    if (p.get("fuse")) {
      const fused = await api("POST", "/v1/query", { ...body, models: chosen, fuse: p.get("fuse") });
      lists.push({ name: fused.fused, results: fused.results, others: fused.order, depth: fused.depth, fused: true });
    }
  }
  const lexical = new Set(all.filter((m) => m.lexical).map((m) => m.name));
  for (const list of lists) columns.append(column(list, lexical.has(list.name) || list.fused));
}

function parseWhere(text) {
  try { return JSON.parse(text); } catch (error) { throw new Error(`where is not valid JSON: ${error.message}`); }
}

function column(list, unbounded) {
  const section = element("section", { class: "column", "data-model": list.name, "aria-label": list.name });
  section.append(element("h3", {}, list.name + (list.fused ? " (fused)" : "")));
  section.append(...scoreStrip(list.results.map((r) => r.score), unbounded));
  const ranking = element("ol");
  list.results.forEach((result, index) => ranking.append(card(result, index + 1, list)));
  if (list.results.length === 0) section.append(element("p", {}, "No results (nothing is stored in this space)."));
  section.append(ranking);
  return section;
}

function card(result, rank, list) {
  const item = element("li", { class: "card", tabindex: "0", "data-id": String(result.id), "data-rank": String(rank) });
  item.append(element("span", {}, `${rank}. `), element("span", { class: "score" }, result.score.toFixed(4)), " ",
    element("span", { class: "text" }, result.text));
  if (result.metadata) item.append(element("div", { class: "meta" }, JSON.stringify(result.metadata)));
  const badges = element("div");
  for (const other of list.others) {
    const there = result.ranks[other];
    let text = `${other}: not in top ${list.depth}`, kind = "absent";
    if (there !== null && there !== undefined) {
      const moved = rank - there;
      kind = moved > 0 ? "up" : moved < 0 ? "down" : "same";
      text = `${other} #${there} ` + (moved > 0 ? `↑${moved}` : moved < 0 ? `↓${-moved}` : "=");
    }
    badges.append(element("span", { class: `badge ${kind}`, "data-model": other, "data-rank": there == null ? "none" : String(there) }, text));
  }
  item.append(badges);
  for (const event of ["mouseenter", "focus"]) item.addEventListener(event, () => highlight(result.id, true));
  for (const event of ["mouseleave", "blur"]) item.addEventListener(event, () => highlight(result.id, false));
  return item;
}

function highlight(id, on) {
  document.querySelectorAll(`.card[data-id="${id}"]`).forEach((node) => node.classList.toggle("highlight", on));
}

// Where the top-k scores sit on the model's scale: cosines on [min(0, lowest), 1], keyword and fused scores on
// [0, highest]. The caption says it in numbers, so the picture is not needed to read it.
function scoreStrip(scores, unbounded) {
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "strip");
  svg.setAttribute("viewBox", "0 0 200 34");
  svg.setAttribute("role", "img");
  if (scores.length === 0) return [svg];
  const high = Math.max(...scores), low = Math.min(...scores);
  const from = unbounded ? 0 : Math.min(0, low), to = unbounded ? (high > 0 ? high : 1) : 1;
  const x = (score) => 5 + 190 * (score - from) / (to - from || 1);
  const line = (x1, y1, x2, y2, colour, width) => {
    const node = document.createElementNS(svgNS, "line");
    for (const [name, value] of Object.entries({ x1, y1, x2, y2, stroke: colour, "stroke-width": width })) node.setAttribute(name, value);
    svg.append(node);
  };
  line(5, 20, 195, 20, "#888", 1);
  for (const score of scores) line(x(score), 8, x(score), 24, "#0b57d0", 1.5);
  for (const [value, anchor] of [[from, "start"], [to, "end"]]) {
    const label = document.createElementNS(svgNS, "text");
    label.setAttribute("x", anchor === "start" ? 5 : 195);
    label.setAttribute("y", 33);
    label.setAttribute("font-size", 8);
    label.setAttribute("text-anchor", anchor);
    label.textContent = value.toFixed(2);
    svg.append(label);
  }
  const caption = `top-${scores.length} scores from ${low.toFixed(4)} to ${high.toFixed(4)} (spread ${(high - low).toFixed(4)})`;
  svg.setAttribute("aria-label", caption);
  return [svg, element("p", { class: "strip-caption" }, caption)];
}

// MARK: Compare

async function renderCompare(p) {
  const vectorModels = (await models()).filter((m) => !m.lexical);
  const chosen = p.get("models") ? p.get("models").split(",") : vectorModels.map((m) => m.name);
  modelPicker($("compare-models"), vectorModels, chosen);
  const lines = (text) => (text || "").split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const body = { models: chosen };
  if (p.get("questions") || p.get("answers")) { body.questions = lines(p.get("questions")); body.answers = lines(p.get("answers")); }
  $("matrices").replaceChildren();
  const data = await api("POST", "/v1/compare", body);
  $("questions").value = data.questions.join("\n");
  $("answers").value = data.answers.join("\n");
  for (const name of data.order) $("matrices").append(matrix(name, data.models[name], data.pairs, "computed by vecdb"));
  for (const [name, figures] of Object.entries(data.published || {})) {
    $("matrices").append(matrix(name, figures, data.pairs, `published in the seed article, not computed here: ${figures.note}`));
  }
}

function matrix(name, c, pairs, note) {
  const section = element("section", { class: "column", "data-model": name, "aria-label": name });
  section.append(element("h3", {}, name), element("p", { class: "hint" }, note));
  const table = element("table", { class: "heat" });
  const head = element("tr", {}, element("th", {}, ""));
  for (let j = 0; j < pairs; j++) head.append(element("th", { scope: "col" }, `A${j + 1}`));
  table.append(head);
  c.similarities.forEach((row, i) => {
    const tr = element("tr", {}, element("th", { scope: "row" }, `Q${i + 1}`));
    row.forEach((value, j) => {
      const cell = element("td", { "data-q": String(i), "data-a": String(j), "data-value": String(value), class: i === j ? "matching" : "" },
        value.toFixed(4));
      // Darker = more similar; the number is in the cell and ✓ marks the matching pair, so colour is not needed.
      const shade = Math.round(255 - 150 * Math.max(0, Math.min(1, value)));
      cell.style.backgroundColor = `rgb(${shade}, ${shade + Math.round((255 - shade) / 3)}, 255)`;
      tr.append(cell);
    });
    table.append(tr);
  });
  section.append(element("div", { class: "table-wrap" }, table));
  const f = (v) => (v === null || v === undefined ? "—" : v.toFixed(4));
  section.append(element("p", { class: "gap" },
    `matching mean ${f(c.mean_matching)}, non-matching mean ${f(c.mean_non_matching)}, gap ${f(c.gap)}; ` +
    `top-1 ${f(c.top1_accuracy)}, MRR ${f(c.mrr)}`));
  return section;
}

// MARK: Browse

async function renderBrowse(p) {
  $("browse-where").value = p.get("where") || "";
  const query = new URLSearchParams({ limit: "20" });
  for (const name of ["after", "where"]) if (p.get(name)) query.set(name, p.get(name));
  const body = $("documents").tBodies[0];
  body.replaceChildren();
  $("pager").replaceChildren();
  const page = await api("GET", "/v1/documents?" + query.toString());
  $("browse-count").textContent = `${page.total} document${page.total === 1 ? "" : "s"}` + (p.get("where") ? " match" : "");
  for (const document of page.documents) {
    const link = element("a", { href: "?" + new URLSearchParams({ view: "doc", id: String(document.id) }) }, String(document.id));
    body.append(element("tr", { "data-id": String(document.id) }, element("td", {}, link), element("td", {}, document.external_id || ""),
      element("td", { class: "text" }, document.text), element("td", {}, document.metadata ? JSON.stringify(document.metadata) : "")));
  }
  if (p.get("after")) $("pager").append(element("a", { href: "?" + new URLSearchParams({ view: "browse", where: p.get("where") || "" }) }, "First page"));
  if (page.next !== null) {
    const next = { view: "browse", after: String(page.next) };
    if (p.get("where")) next.where = p.get("where");
    $("pager").append(element("a", { href: "?" + new URLSearchParams(next), rel: "next" }, "Next page"));
  }
}

async function renderDocument(p) {
  const id = p.get("id");
  $("neighbors").replaceChildren();
  const data = await api("GET", `/v1/documents/${encodeURIComponent(id)}/neighbors?k=5`);
  const document = data.document;
  $("doc-title").textContent = `Document ${document.id}` + (document.external_id ? ` (${document.external_id})` : "");
  $("doc-text").textContent = document.text;
  $("doc-metadata").textContent = document.metadata ? JSON.stringify(document.metadata, null, 2) : "no metadata";
  for (const name of data.order) {
    const section = element("section", { class: "column", "data-model": name, "aria-label": name }, element("h3", {}, name));
    const list = element("ol");
    data.neighbors[name].forEach((result, index) => {
      const link = element("a", { href: "?" + new URLSearchParams({ view: "doc", id: String(result.id) }) }, result.text);
      list.append(element("li", { class: "card", "data-id": String(result.id) }, `${index + 1}. `,
        element("span", { class: "score" }, result.score.toFixed(4)), " ", link));
    });
    section.append(list);
    $("neighbors").append(section);
  }
}

// MARK: Views

const views = { ask: renderAsk, compare: renderCompare, browse: renderBrowse, doc: renderDocument };

async function render() {
  const p = params();
  const view = views[p.get("view")] ? p.get("view") : (p.get("id") ? "doc" : "ask");
  for (const name of Object.keys(views)) $(name).hidden = name !== view;
  document.querySelectorAll("nav a[data-view]").forEach((a) => {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
  $("error").hidden = true;
  document.body.dataset.state = "loading";
  try {
    await views[view](p);
    document.body.dataset.state = "ready";
  } catch (error) {
    showError(error);
    document.body.dataset.state = "error";
  }
}

function listen() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = pickedModels($("ask-models"));
    go({ view: "ask", q: $("q").value, models: chosen.join(","), k: $("k").value, fuse: $("fuse").value, where: $("ask-where").value });
  });
  $("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go({ view: "compare", models: pickedModels($("compare-models")).join(","), questions: $("questions").value, answers: $("answers").value });
  });
  $("browse-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go({ view: "browse", where: $("browse-where").value });
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value);
    $("key-form").hidden = true;
    served = null;
    render();
  });
  // Same-page links change the state without a reload.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='?']");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    render();
  });
  window.addEventListener("popstate", render);
}

listen();
render();

"use strict";
// Sortable, filterable tables and per-cell details loaded on demand from the gzip-compressed
// JSON document embedded in the page (see mibench/report/html.py).

const SVG_NS = "http://www.w3.org/2000/svg";
const FILTER_NAMES = { task_id: "task", family: "family", label: "estimator", n: "n" };

function numericColumn(table, index) {
  return table.tHead.rows[0].cells[index].classList.contains("num");
}

function sortTable(table, index) {
  const header = table.tHead.rows[0].cells[index];
  const ascending = !header.classList.contains("sorted-asc");
  for (const th of table.tHead.rows[0].cells) th.classList.remove("sorted-asc", "sorted-desc");
  header.classList.add(ascending ? "sorted-asc" : "sorted-desc");
  const numeric = numericColumn(table, index);
  const body = table.tBodies[0];
  const keyed = Array.from(body.rows, (row) => {
    const text = row.cells[index].textContent;
    const value = numeric ? Number(text) : text;
    return [numeric && !Number.isFinite(value) ? null : value, row];
  });
  keyed.sort(([x], [y]) => {
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1; // missing last
    const c = numeric ? x - y : x.localeCompare(y, undefined, { numeric: true });
    return ascending ? c : -c;
  });
  body.append(...keyed.map(([, row]) => row));
}

function setUpTable(table) {
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
    th.addEventListener("click", () => sortTable(table, i));
  });
}

// A filter "name:index" is a drop-down of the values of column index (a family column holds
// comma-separated tags, each a value of its own), beside a free-text filter on whole rows.
function setUpFilters(box) {
  const table = document.getElementById(box.dataset.table);
  const specs = box.dataset.filters ? box.dataset.filters.split(",") : [];
  const rows = Array.from(table.tBodies[0].rows);
  const selects = [];
  const parts = (name, text) => (name === "family" ? text.split(",") : [text]);
  for (const spec of specs) {
    const [name, column] = spec.split(":");
    const index = Number(column);
    const values = new Set();
    for (const row of rows) for (const v of parts(name, row.cells[index].textContent)) if (v) values.add(v);
    const sorted = Array.from(values).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const label = document.createElement("label");
    label.textContent = (FILTER_NAMES[name] || name) + " ";
    const select = document.createElement("select");
    select.dataset.filter = name;
    select.add(new Option("all", ""));
    for (const v of sorted) select.add(new Option(v, v));
    label.append(select);
    box.append(label);
    selects.push([name, index, select]);
  }
  const label = document.createElement("label");
  label.textContent = "contains ";
  const text = document.createElement("input");
  text.type = "search";
  text.dataset.filter = "text";
  label.append(text);
  box.append(label);
  const count = document.createElement("span");
  count.className = "count";
  box.append(count);
  const apply = () => {
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      let keep = true;
      for (const [name, index, select] of selects) {
        if (select.value) keep = keep && parts(name, row.cells[index].textContent).includes(select.value);
      }
      if (keep && needle) keep = row.textContent.toLowerCase().includes(needle);
      row.hidden = !keep;
      if (keep) shown += 1;
    }
    count.textContent = `${shown} of ${rows.length} rows`;
  };
  for (const [, , select] of selects) select.addEventListener("change", apply);
  text.addEventListener("input", apply);
  apply();
}

let dataPromise = null;
function cellData() {
  if (!dataPromise) {
    const text = document.getElementById("cell-data").textContent.trim();
    const chars = atob(text);
    const bytes = new Uint8Array(chars.length);
    for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    dataPromise = new Response(stream).text().then(JSON.parse);
  }
  return dataPromise;
}

function element(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function svgElement(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

// A tick label with enough digits to tell ticks `step` apart.
function tick(v, step) {
  if (v === 0 || Math.abs(v) < step / 1e6) return "0";
  const digits = Math.ceil(Math.log10(Math.abs(v) / step)) + 1;
  return String(Number(v.toPrecision(Math.min(Math.max(digits, 2), 12))));
}

function fmt(v, digits = 4) {
  return v === null || v === undefined ? "–" : Number(v).toFixed(digits);
}

// A small line plot: series = [{x: [...], y: [...], color, width, dash}], marks = vertical
// or horizontal reference lines [{value, axis: "x"|"y", color, label}].
// The height a histogram's axis shows: its highest bin among those at least half as wide as
// the median bin (a sliver of a bin holding a point mass would otherwise flatten the rest;
// taller bins are cut at the top).
function barTop(bars) {
  const widths = bars.density.map((_, i) => bars.edges[i + 1] - bars.edges[i]);
  const median = [...widths].sort((a, b) => a - b)[Math.floor(widths.length / 2)];
  const heights = bars.density.filter((d, i) => d !== null && widths[i] >= median / 2);
  return heights.length ? Math.max(...heights) : Math.max(...bars.density.filter((d) => d !== null));
}

// bars = {edges, density, range}: a histogram, drawn over range (and the x marks) only.
function plot({ series, marks = [], bars = null, xlabel, ylabel, width = 440, height = 260 }) {
  const pad = { left: 52, right: 24, top: 12, bottom: 36 };
  const xs = [], ys = [];
  for (const s of series) {
    s.x.forEach((x, i) => { if (s.y[i] !== null) { xs.push(x); ys.push(s.y[i]); } });
  }
  if (bars) { xs.push(...bars.range); ys.push(0, barTop(bars)); }
  for (const m of marks) (m.axis === "x" ? xs : ys).push(m.value);
  const finite = (a) => a.filter((v) => v !== null && Number.isFinite(v));
  let [x0, x1] = [Math.min(...finite(xs)), Math.max(...finite(xs))];
  let [y0, y1] = [Math.min(...finite(ys)), Math.max(...finite(ys))];
  if (!(x1 > x0)) { x0 -= 0.5; x1 += 0.5; }
  if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
  const yPad = 0.05 * (y1 - y0); y1 += yPad;
  if (!bars) y0 -= yPad;
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const svg = svgElement("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.append(svgElement("rect", { x: pad.left, y: pad.top, width: width - pad.left - pad.right,
    height: height - pad.top - pad.bottom, fill: "none", stroke: "#999" }));
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4, yv = y0 + ((y1 - y0) * i) / 4;
    svg.append(svgElement("text", { x: sx(xv), y: height - pad.bottom + 14, "text-anchor": "middle" },
      tick(xv, (x1 - x0) / 4)));
    svg.append(svgElement("text", { x: pad.left - 4, y: sy(yv) + 3, "text-anchor": "end" },
      tick(yv, (y1 - y0) / 4)));
  }
  svg.append(svgElement("text", { x: (pad.left + width - pad.right) / 2, y: height - 4, "text-anchor": "middle" }, xlabel));
  svg.append(svgElement("text", { x: 12, y: (pad.top + height - pad.bottom) / 2, "text-anchor": "middle",
    transform: `rotate(-90 12 ${(pad.top + height - pad.bottom) / 2})` }, ylabel));
  if (bars) {
    bars.density.forEach((d, i) => {
      const a = Math.max(bars.edges[i], x0), b = Math.min(bars.edges[i + 1], x1);
      if (d === null || !(b > a)) return;
      const left = sx(a), right = sx(b);
      const top = sy(Math.min(d, y1));
      svg.append(svgElement("rect", { x: left, y: top, width: Math.max(right - left, 0.5),
        height: Math.max(sy(0) - top, 0), fill: "#9db4d6", class: "bar" }));
    });
  }
  for (const s of series) {
    const points = [];
    s.x.forEach((x, i) => { if (s.y[i] !== null) points.push(`${sx(x).toFixed(1)},${sy(s.y[i]).toFixed(1)}`); });
    if (points.length === 1) {
      const [cx, cy] = points[0].split(",");
      svg.append(svgElement("circle", { cx, cy, r: 2.5, fill: s.color }));
    } else if (points.length) {
      svg.append(svgElement("polyline", { points: points.join(" "), fill: "none", stroke: s.color,
        "stroke-width": s.width || 1.2, "stroke-dasharray": s.dash || "", class: "curve" }));
    }
  }
  for (const m of marks) {
    const attrs = m.axis === "x"
      ? { x1: sx(m.value), x2: sx(m.value), y1: pad.top, y2: height - pad.bottom }
      : { x1: pad.left, x2: width - pad.right, y1: sy(m.value), y2: sy(m.value) };
    svg.append(svgElement("line", { ...attrs, stroke: m.color, "stroke-width": m.width || 1.2,
      "stroke-dasharray": m.dash || "", class: "mark" }));
  }
  return svg;
}

function legend(items) {
  const p = element("p", { class: "caption" });
  items.forEach(([color, text], i) => {
    if (i) p.append(" · ");
    const swatch = element("span", { style: `color:${color}` }, "■ ");
    p.append(swatch, text);
  });
  return p;
}

async function showDetails(group) {
  const body = document.getElementById("details-body");
  const summaryRow = document.querySelector(`#summary-table tr[data-group="${group}"]`);
  if (!summaryRow) return;
  document.querySelectorAll("#summary-table tr.selected").forEach((r) => r.classList.remove("selected"));
  summaryRow.classList.add("selected");
  body.replaceChildren(element("p", {}, "Loading…"));
  const data = await cellData();
  const [task, label, n] = data.keys[group];
  const members = data.groups[group];
  const cells = data.cells;
  const truth = data.truth[group];
  const heading = element("h3", { id: "details-title" }, `${task} · ${label} · n = ${n}`);
  const table = element("table", { class: "data", id: "details-table" });
  const head = table.createTHead().insertRow();
  for (const h of ["seed", "status", "estimate", "stderr", "95 % low", "95 % high", "wall s", "steps", "message"]) {
    head.append(element("th", {}, h));
  }
  const tbody = table.createTBody();
  for (const j of members) {
    const row = tbody.insertRow();
    const status = cells.status[j];
    row.insertCell().textContent = cells.seed[j];
    const statusCell = row.insertCell();
    statusCell.textContent = status;
    statusCell.className = status === "ok" ? "status-ok" : "status-bad";
    for (const [key, digits] of [["mi", 4], ["stderr", 4], ["low", 4], ["high", 4], ["wall", 3]]) {
      const cell = row.insertCell();
      cell.textContent = fmt(cells[key][j], digits);
      cell.className = "num";
    }
    const steps = row.insertCell();
    steps.textContent = cells.steps[j] === null ? "–" : String(cells.steps[j]);
    steps.className = "num";
    const message = row.insertCell();
    message.textContent = data.messages[cells.message[j]];
    message.className = "message";
  }
  const parts = [heading, element("p", { class: "caption" },
    `True MI ${fmt(truth)} nats; ${members.length} seed(s). Estimates in nats.`), table];
  const plots = element("div", { class: "plots" });
  const traced = members.filter((j) => cells.trace[j] !== null);
  if (traced.length) {
    const series = [];
    for (const j of traced) {
      const [a, b] = cells.trace[j];
      const x = data.traces.step.slice(a, b);
      series.push({ x, y: data.traces.train.slice(a, b), color: "#f2a65a", width: 0.8 });
      series.push({ x, y: data.traces.test.slice(a, b), color: "#1f5fa8", width: 1.2 });
    }
    const marks = truth === null ? [] : [{ value: truth, axis: "y", color: "#000", dash: "4 3" }];
    const box = element("div", { class: "plot", id: "training-curves" });
    box.append(element("h3", {}, "Training curves"),
      plot({ series, marks, xlabel: "step", ylabel: "bound value (nats)" }),
      legend([["#1f5fa8", "held-out value"], ["#f2a65a", "training value"], ["#000", "true MI"]]));
    plots.append(box);
  }
  const profile = data.profiles[task];
  if (profile) {
    const marks = [{ value: profile.true, axis: "x", color: "#000", width: 1.5 }];
    for (const j of members) {
      if (cells.mi[j] !== null) marks.push({ value: cells.mi[j], axis: "x",
        color: cells.status[j] === "ok" ? "#c2410c" : "#b42318", dash: cells.status[j] === "ok" ? "" : "2 2", width: 1 });
    }
    const box = element("div", { class: "plot", id: "pmi-profile" });
    box.append(element("h3", {}, "Pointwise-MI profile of the task"),
      plot({ series: [], bars: profile, marks, xlabel: "pointwise MI (nats)", ylabel: "density" }),
      legend([["#9db4d6", `PMI distribution (mean ${fmt(profile.mean)} ± ${fmt(profile.stderr)})`],
        ["#000", "true MI"], ["#c2410c", "estimates of the seeds"]]));
    plots.append(box);
  }
  if (plots.childElementCount) parts.push(plots);
  if (!profile) {
    parts.push(element("p", { class: "caption", id: "no-profile" }, "No pointwise-MI profile for " +
      "this task: it has no densities, or it is not a built-in task at the version the rows " +
      "record (for a task of a tasks file, give mibench report --tasks-file)."));
  }
  body.replaceChildren(...parts);
  body.dataset.loaded = String(group);
  body.dataset.loadedMs = String(Math.round(performance.now()));
}

function start() {
  document.querySelectorAll("table.data").forEach(setUpTable);
  document.querySelectorAll(".filters").forEach(setUpFilters);
  const summary = document.getElementById("summary-table");
  if (summary) {
    summary.tBodies[0].addEventListener("click", (event) => {
      const row = event.target.closest("tr");
      if (row && row.dataset.group !== undefined) {
        showDetails(Number(row.dataset.group));
        document.getElementById("details").scrollIntoView();
      }
    });
  }
  for (const img of document.querySelectorAll("img.figure")) {
    const mark = () => { img.dataset.width = String(img.naturalWidth); };
    if (img.complete) mark(); else img.addEventListener("load", mark);
  }
  const match = /^#group=(\d+)$/.exec(window.location.hash);
  if (match) showDetails(Number(match[1])).then(() => document.getElementById("details").scrollIntoView());
  document.body.dataset.ready = "1";
  // Milliseconds from the start of navigation to here (read by the load benchmark).
  document.body.dataset.readyMs = String(Math.round(performance.now()));
}

document.addEventListener("DOMContentLoaded", start);

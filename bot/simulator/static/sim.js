// The simulator page: a client of the fake WeCom's member API (through /simulator/api/fake/*).
// Every action is a member's action in WeCom; the fake turns it into an encrypted callback to the app.
"use strict";

// The fake of the chosen platform (its member API, through the simulator's pass-through).
const fake = () => (state.platform === "dingtalk" ? "/simulator/api/dingtalk" : "/simulator/api/fake");
// The person's id on the chosen platform.
const pid = () => (state.platform === "dingtalk" ? state.person.dingtalk_userid : state.person.userid);
const PIN = '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path fill="#f54a45" d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z"/></svg>';
const $ = (sel) => document.querySelector(sel);
const state = {
  config: null,
  platform: "wecom",   // "wecom" or "dingtalk": which fake, which look
  person: null,        // the member we are (config.people entry)
  etag: null,
  generation: 0,       // bumps when the person changes: late answers for someone else are dropped
  data: { messages: [], groups: [] },
  versions: new Map(), // card task_id -> version, to flash cards updated in place
  pending: new Map(),  // task_id -> {key, since}: a tap waiting for the card to change
  choices: new Map(),  // task_id + question_key -> chosen option ids (kept across re-renders)
  group: null,
  greeted: new Set(),
};

// ------------------------------------------------------------------ helpers
function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "html") node.innerHTML = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", ...(options.headers || {}) },
    body: options.body && typeof options.body !== "string" ? JSON.stringify(options.body) : options.body,
  });
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}
let toastTimer = null;
function toast(text, ms = 4000) {
  const box = $("#toast");
  box.onclick = () => { box.hidden = true; };
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}
function initial(name) { return (name || "?").slice(-1); }
function timeLabel(seconds) {
  const d = new Date(seconds * 1000);
  const parts = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(d);
  const get = (t) => (parts.find((p) => p.type === t) || {}).value;
  return `${get("month")}月${get("day")}日 ${get("hour")}:${get("minute")}`;
}
function linkify(text) {
  return esc(text).replace(/https?:\/\/[^\s<>"'）」]+/g, (url) => `<a data-url="${url}">${url}</a>`).replace(/\n/g, "<br>");
}
function markdown(text) {
  let html = esc(text);
  html = html.replace(/&lt;font color=&quot;(\w+)&quot;&gt;([\s\S]*?)&lt;\/font&gt;/g, '<span class="c-$1">$2</span>');
  html = html.replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>");
  html = html.replace(/`([^`]+)`/g, "<code>$1</code>");
  html = html.replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a data-url="$2">$1</a>');
  return html.split("\n").map((line) => {
    const h = line.match(/^(#{1,6})\s+(.*)$/);
    if (h) return `<b class="h">${h[2]}</b>`;
    const q = line.match(/^&gt;\s?(.*)$/);
    if (q) return `<blockquote>${q[1]}</blockquote>`;
    return line + "<br>";
  }).join("");
}

// ------------------------------------------------------------------ cards (template_card as WeCom draws it)
function choiceKey(taskId, questionKey) { return `${taskId}\u0000${questionKey}`; }

function renderCard(msg) {
  const card = msg.card || msg.body || {};
  const taskId = card.task_id || msg.id;
  const type = card.card_type;
  const replaced = msg.replace_name || card.replace_text || null;
  const url = card.card_action && card.card_action.type === 1 ? card.card_action.url : null;
  const box = el("div", { class: "card" + (url ? " clickable" : ""), "data-task": taskId, "data-testid": "card" });
  if (url) box.addEventListener("click", (e) => { if (!e.target.closest("button,select,input,label,a")) openPage(url); });

  if (card.source && card.source.desc) box.append(el("div", { class: "src" }, card.source.desc));
  const main = card.main_title || {};
  if (main.title) box.append(el("div", { class: "title", "data-testid": "card-title" }, main.title));
  if (main.desc) box.append(el("div", { class: "desc" }, main.desc));
  if (card.emphasis_content && card.emphasis_content.title) {
    box.append(el("div", { class: "emph" }, el("b", {}, card.emphasis_content.title), el("small", {}, card.emphasis_content.desc || "")));
  }
  if (card.quote_area && card.quote_area.quote_text) box.append(el("div", { class: "quote" }, card.quote_area.quote_text));
  if (card.sub_title_text) box.append(el("div", { class: "sub" }, card.sub_title_text));
  for (const item of card.horizontal_content_list || []) {
    const value = item.type === 1 && item.url
      ? el("a", { "data-url": item.url, "data-testid": "card-link" }, item.value || "查看")
      : el("span", {}, item.value || "");
    box.append(el("div", { class: "kv" }, el("span", { class: "k" }, item.keyname), el("span", { class: "v" }, value)));
  }
  for (const jump of card.jump_list || []) {
    if (jump.url) box.append(el("a", { class: "jump", "data-url": jump.url }, `${jump.title} ›`));
  }

  const selections = () => {
    const selected = {};
    box.querySelectorAll("[data-question]").forEach((node) => {
      const q = node.dataset.question;
      if (node.tagName === "SELECT") selected[q] = [node.value];
      else if (node.checked) (selected[q] = selected[q] || []).push(node.value);
    });
    return Object.keys(selected).length ? selected : null;
  };
  const selectFor = (sel, disabled) => {
    const chosen = state.choices.get(choiceKey(taskId, sel.question_key));
    const node = el("select", { "data-question": sel.question_key, disabled: disabled || sel.disable || undefined,
      onchange: (e) => state.choices.set(choiceKey(taskId, sel.question_key), [e.target.value]) });
    for (const opt of sel.option_list || []) {
      const isSel = chosen ? chosen.includes(opt.id) : sel.selected_id === opt.id;
      node.append(el("option", { value: opt.id, selected: isSel || undefined }, opt.text));
    }
    return el("label", { class: "sel" }, sel.title || "", node);
  };
  if (card.button_selection) box.append(selectFor(card.button_selection, !!replaced));
  for (const sel of card.select_list || []) box.append(selectFor(sel, !!replaced));
  if (card.checkbox) {
    const cb = card.checkbox;
    const opts = el("div", { class: "opts" });
    const chosen = state.choices.get(choiceKey(taskId, cb.question_key));
    for (const opt of cb.option_list || []) {
      const checked = chosen ? chosen.includes(opt.id) : !!opt.is_checked;
      opts.append(el("label", {}, el("input", {
        type: cb.mode === 1 ? "checkbox" : "radio", name: `${taskId}-${cb.question_key}`, value: opt.id,
        "data-question": cb.question_key, checked: checked || undefined, disabled: !!replaced || cb.disable || undefined,
        onchange: () => {
          const ids = [...opts.querySelectorAll("input:checked")].map((i) => i.value);
          state.choices.set(choiceKey(taskId, cb.question_key), ids);
        },
      }), " ", opt.text));
    }
    box.append(opts);
  }

  if (replaced) {
    box.append(el("div", { class: "replaced", "data-testid": "card-status" }, replaced));
  } else {
    const buttons = el("div", { class: "buttons" });
    const pending = state.pending.get(taskId);
    const tap = (key) => async (e) => {
      e.stopPropagation();
      if (state.pending.has(taskId)) return;
      state.pending.set(taskId, { key, since: Date.now(), version: msg.version || 0 });
      e.target.classList.add("pending");
      try {
        await api(`${fake()}/send`, { method: "POST", body: { userid: pid(), type: "click", task_id: taskId, key, card_type: type, selected: selections() } });
      } catch (err) {
        state.pending.delete(taskId);
        e.target.classList.remove("pending");
        toast(`点击失败：${err.message}`);
      }
      refreshNow();
    };
    for (const b of card.button_list || []) {
      if (b.type === 1 && b.url) {
        buttons.append(el("button", { type: "button", class: "s4", onclick: (e) => { e.stopPropagation(); openPage(b.url); } }, b.text));
      } else {
        buttons.append(el("button", { type: "button", class: `s${b.style || 1}` + (pending && pending.key === b.key ? " pending" : ""), "data-key": b.key, onclick: tap(b.key) }, b.text));
      }
    }
    if (card.submit_button) {
      const s = card.submit_button;
      buttons.append(el("button", { type: "button", class: "s1" + (pending ? " pending" : ""), "data-key": s.key, onclick: tap(s.key) }, s.text));
    }
    if (buttons.childElementCount) box.append(buttons);
  }
  if (url && type === "text_notice") box.append(el("div", { class: "more" }, el("span", {}, "查看详情"), el("span", {}, "›")));
  return box;
}

// ------------------------------------------------------------------ DingTalk cards (our template's cardParamMap)
function parseList(text) {
  try { const value = JSON.parse(text || "[]"); return Array.isArray(value) ? value : []; } catch (_) { return []; }
}

function renderDingCard(msg) {
  const data = msg.card || {};
  const taskId = msg.task_id || msg.id;
  const box = el("div", { class: "card ding-card", "data-task": taskId, "data-testid": "card" });
  if (data.source) box.append(el("div", { class: "src" }, data.source));
  if (data.title) box.append(el("div", { class: "title", "data-testid": "card-title" }, data.title));
  if (data.subtitle) box.append(el("div", { class: "desc" }, data.subtitle));
  if (data.description) box.append(el("div", { class: "sub" }, data.description));
  for (const f of parseList(data.fields)) {
    box.append(el("div", { class: "kv" }, el("span", { class: "k" }, f.label), el("span", { class: "v" }, f.text)));
  }
  if (data.quote) box.append(el("div", { class: "quote" }, data.quote));
  if (data.link_url) {
    box.append(el("div", { class: "kv" }, el("span", { class: "k" }, data.link_text || "链接"),
      el("span", { class: "v" }, el("a", { "data-url": data.link_url, "data-testid": "card-link" }, "点击查看"))));
  }
  if (data.decided === "true") {
    box.append(el("div", { class: "replaced", "data-testid": "card-status" }, data.status || "已处理"));
    return box;
  }
  const selects = [];
  for (let i = 1; i <= 3; i += 1) {
    const key = data[`sel${i}_key`];
    if (!key) continue;
    const chosen = state.choices.get(choiceKey(taskId, key));
    const node = el("select", { "data-question": key, onchange: (e) => state.choices.set(choiceKey(taskId, key), [e.target.value]) });
    for (const opt of parseList(data[`sel${i}_options`])) {
      const isSel = chosen ? chosen.includes(opt.value) : data[`sel${i}_selected`] === opt.value;
      node.append(el("option", { value: opt.value, selected: isSel || undefined }, opt.text));
    }
    selects.push([i, node]);
    box.append(el("label", { class: "sel" }, data[`sel${i}_title`] || "", node));
  }
  const buttons = el("div", { class: "buttons" });
  const pending = state.pending.get(taskId);
  for (let i = 1; i <= 6; i += 1) {
    const text = data[`btn${i}_text`], action = data[`btn${i}_action`];
    if (!text || !action) continue;
    const look = { blue: "s1", red: "s3" }[data[`btn${i}_color`]] || "s2";  // template buttons: status + color
    buttons.append(el("button", { type: "button", class: look + (pending && pending.key === action ? " pending" : ""), "data-key": action,
      onclick: async (e) => {
        e.stopPropagation();
        if (state.pending.has(taskId)) return;
        state.pending.set(taskId, { key: action, since: Date.now(), version: msg.version || 0 });
        e.target.classList.add("pending");
        const params = {};
        for (const [n, node] of selects) params[`select${n}`] = node.value;
        try {
          await api(`${fake()}/send`, { method: "POST", body: { userid: pid(), type: "click", task_id: taskId, key: action, params } });
        } catch (err) {
          state.pending.delete(taskId);
          e.target.classList.remove("pending");
          toast(`点击失败：${err.message}`);
        }
        refreshNow();
      } }, text));
  }
  if (buttons.childElementCount) box.append(buttons);
  return box;
}

// ------------------------------------------------------------------ messages
function renderBody(msg) {
  const body = msg.body || {};
  if (state.platform === "dingtalk") {
    if (msg.msgtype === "card") return renderDingCard(msg);
    // sampleMarkdown's title is what DingTalk shows in the chat list and notifications, not in the bubble
    if (msg.msgtype === "markdown") return el("div", { class: "bubble md", html: markdown(body.text || "") });
    if (msg.msgtype === "image" && msg.from !== "me") {
      const photo = body.photoURL || "";  // a URL, or the media_id the app uploaded
      const src = /^https?:/.test(photo) ? photo : `${fake()}/media/${encodeURIComponent(photo)}`;
      return el("div", { class: "bubble" }, el("img", { src, alt: "图片" }));
    }
    if (msg.msgtype.startsWith("notice:")) return el("div", { class: "bubble", html: linkify(JSON.stringify(body)) });
  }
  switch (msg.msgtype) {
    case "text": return el("div", { class: "bubble", html: linkify(body.content || "") });
    case "markdown": return el("div", { class: "bubble md", html: markdown(body.content || "") });
    case "image": return el("div", { class: "bubble" }, el("img", { src: `${fake()}/media/${encodeURIComponent(body.media_id || "")}`, alt: "图片" }));
    case "location": return el("div", { class: "bubble" }, el("div", { class: "loc" }, el("span", { class: "pin", html: PIN }),
      el("div", {}, body.label || "位置", el("small", {}, `${Number(body.lat).toFixed(5)}, ${Number(body.lng).toFixed(5)}`))));
    case "template_card": return renderCard(msg);
    case "textcard": {
      const box = el("div", { class: "card clickable" }, el("div", { class: "title" }, body.title || ""), el("div", { class: "sub", html: body.description || "" }),
        el("div", { class: "more" }, el("span", {}, body.btntxt || "详情"), el("span", {}, "›")));
      box.addEventListener("click", () => openPage(body.url));
      return box;
    }
    case "news": {
      const box = el("div", { class: "card" });
      for (const a of body.articles || []) box.append(el("a", { class: "jump", "data-url": a.url }, a.title || a.url));
      return box;
    }
    default: return el("div", { class: "bubble" }, `[${msg.msgtype}]`);
  }
}

// Rows are kept by message and reused while the message is unchanged: re-rendering the whole list on each poll
// replaced every card under the reader's finger (a tap, a selection or a screenshot could land on a node that was
// just thrown away). A row is rebuilt only when its message, delivery state or pending tap changed.
const rowCache = new WeakMap(); // container -> Map(key -> {sig, node})
function renderList(container, messages, { mine, botName }) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const grew = messages.length > Number(container.dataset.count || 0);
  const top = container.scrollTop;
  const old = rowCache.get(container) || new Map();
  const rows = new Map();
  const keep = (key, sig, build) => {
    const hit = old.get(key);
    const node = hit && hit.sig === sig ? hit.node : build();
    rows.set(key, { sig, node });
    return node;
  };
  const wanted = [];
  if (!messages.length) wanted.push(keep("empty", "", () => el("div", { class: "empty" }, "还没有消息")));
  let last = 0;
  messages.forEach((msg, index) => {
    const id = msg.id ?? `#${index}`;
    if (!last || msg.at - last > 300) {
      const label = timeLabel(msg.at);
      wanted.push(keep(`divider:${id}`, label, () => el("div", { class: "divider" }, label)));
    }
    last = msg.at;
    const fromMe = msg.from === "me";
    const card = msg.card || msg.body || {};
    const pending = state.pending.get(msg.msgtype === "card" ? msg.task_id || msg.id : card.task_id || msg.id);
    const sig = [JSON.stringify(msg), pending ? pending.key : "", mine, state.platform].join("|");
    wanted.push(keep(`msg:${id}`, sig, () => {
      const body = renderBody(msg);
      if (fromMe && msg.delivered === false) body.classList.add("undelivered");
      return el("div", { class: "msg" + (fromMe ? " me" : ""), "data-testid": fromMe ? "msg-me" : "msg-app", "data-msgtype": msg.msgtype },
        el("div", { class: "avatar" }, fromMe ? initial(mine) : "销"), body);
    }));
  });
  // Drop what is gone first, so the rows that stay keep their order and are never moved (moving detaches).
  const wantedSet = new Set(wanted);
  for (const child of [...container.children]) if (!wantedSet.has(child)) child.remove();
  let cursor = container.firstElementChild;
  for (const node of wanted) {
    if (node === cursor) { cursor = cursor.nextElementSibling; continue; }
    container.insertBefore(node, cursor);
  }
  rowCache.set(container, rows);
  container.dataset.count = String(messages.length);
  container.scrollTop = grew || nearBottom ? container.scrollHeight : top;
}

function render() {
  const { messages, groups } = state.data;
  // Cards updated in place: clear pending taps, flash the card once.
  const flashes = new Set();
  for (const msg of messages) {
    if (msg.msgtype !== "template_card" && msg.msgtype !== "card") continue;
    const card = msg.card || msg.body || {};
    const id = msg.msgtype === "card" ? msg.task_id || msg.id : card.task_id || msg.id;
    const seen = state.versions.get(id);
    if (seen !== undefined && (msg.version || 0) > seen) flashes.add(id);
    state.versions.set(id, msg.version || 0);
    const pending = state.pending.get(id);
    const settled = msg.replace_name || card.replace_text || card.decided === "true";
    if (pending && ((msg.version || 0) > pending.version || Date.now() - pending.since > 15000 || settled)) state.pending.delete(id);
  }
  renderList($("#chat"), messages, { mine: state.person.name, botName: "销售助手" });
  for (const id of flashes) {
    const node = document.querySelector(`#chat [data-task="${CSS.escape(id)}"]`);
    if (node) node.classList.add("flash");
  }
  const select = $("#group");
  const ids = groups.map((g) => g.chatid).join("|");
  if (select.dataset.ids !== ids) {
    select.innerHTML = "";
    for (const g of groups) select.append(el("option", { value: g.chatid }, g.name));
    select.dataset.ids = ids;
    if (!groups.some((g) => g.chatid === state.group)) state.group = groups.length ? groups[0].chatid : null;
    select.value = state.group || "";
  }
  const group = groups.find((g) => g.chatid === state.group);
  $("#group-line").textContent = group ? `${group.members.length} 人` : "不在任何群聊中";
  renderList($("#group-chat"), group ? group.messages.map((m) => ({ ...m, from: "app" })) : [], { mine: state.person.name, botName: "销售助手" });
}

// ------------------------------------------------------------------ polling
async function poll() {
  for (;;) {
    const generation = state.generation;
    try {
      const q = new URLSearchParams({ userid: pid(), wait: "20" });
      if (state.etag) q.set("etag", state.etag);
      const data = await api(`${fake()}/messages?${q}`);
      if (generation !== state.generation) continue; // the person or platform changed meanwhile
      if (!accept(data)) await new Promise((r) => setTimeout(r, 500)); // never spin on an unwanted answer
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
}
function accept(data) {
  if (!data || data.userid !== pid()) return false;
  if (data.etag === state.etag) return true;
  state.etag = data.etag;
  state.data = data;
  render();
  return true;
}
async function refreshNow() {
  try { accept(await api(`${fake()}/messages?${new URLSearchParams({ userid: pid() })}`)); } catch (_) { /* next poll */ }
}

// ------------------------------------------------------------------ sending
async function send(payload, label) {
  try {
    const result = await api(`${fake()}/send`, { method: "POST", body: { userid: pid(), ...payload } });
    if (!result.delivered) toast(`${label}：回调没有成功（HTTP ${result.callback_status ?? "无响应"}）`);
  } catch (err) {
    toast(`${label}失败：${err.message}`);
  }
  refreshNow();
}
async function sendImage(blob, filename) {
  closeSheets();
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = reject;
    reader.readAsDataURL(blob);
  });
  await send({ type: "image", data_b64: data, content_type: blob.type || "image/jpeg", filename }, "发送照片");
}
function closeSheets() {
  document.querySelectorAll(".sheet").forEach((s) => { s.hidden = true; });
  $("#panel").hidden = true;
}
function openSheet(name) {
  closeSheets();
  $(`#sheet-${name}`).hidden = false;
}

// ------------------------------------------------------------------ the in-app browser
function openPage(url) {
  if (!url) return;
  closeSheets();
  const q = new URLSearchParams({ userid: pid(), url });
  const frame = $("#wv-frame");
  // WeCom's in-app browser is logged in (OAuth through the fake); on DingTalk the signed link does it.
  frame.src = state.platform === "dingtalk" ? url : `${state.config.fake_origin}/_fake/webview?${q}`;
  $("#wv-out").href = url;
  $("#wv-title").textContent = "加载中…";
  $("#webview").hidden = false;
}
function pageLoaded() {
  let title = "网页";
  try { title = $("#wv-frame").contentDocument.title || title; } catch (_) { /* another origin */ }
  $("#wv-title").textContent = title;
}

// ------------------------------------------------------------------ people and the clock
async function choosePerson(userid) {
  const person = state.config.people.find((p) => p.userid === userid) || state.config.people[0];
  state.person = person;
  state.generation += 1;
  state.etag = null;
  state.pending.clear();
  $("#chat").dataset.count = "0";
  $("#group-chat").dataset.count = "0";
  localStorage.setItem("salesbot-sim-person", person.userid);
  $("#person").value = person.userid;
  $("#me-line").textContent = `我是 ${person.name} · ${person.role_label}${person.team ? " · " + person.team : ""}`;
  $("#webview").hidden = true;
  $("#wv-frame").src = "about:blank";
  closeSheets();
  const apps = $("#apps");
  apps.innerHTML = "";
  for (const app of person.workbench) {
    apps.append(el("button", { type: "button", "data-testid": `app-${app.path}`, onclick: () => openPage(state.config.app_origin + app.path) },
      el("span", { class: "app-icon" }, app.path.includes("dashboard") ? "看" : "客"), app.label));
  }
  await fetch("/h5/logout", { method: "POST" }).catch(() => null); // pages open as the new person
  const data = await api(`${fake()}/messages?${new URLSearchParams({ userid: pid() })}`);
  accept(data);
  const greeting = `${state.platform}:${pid()}`;
  if (state.platform === "wecom" && !state.greeted.has(greeting)) {
    state.greeted.add(greeting);
    send({ type: "enter" }, "进入应用"); // WeCom posts enter_agent when someone opens the app
  }
}

// ------------------------------------------------------------------ the platform switch
async function choosePlatform(platform) {
  if (platform === state.platform) return;
  if (platform === "dingtalk" && !state.config.platforms.dingtalk) return;
  state.platform = platform;
  document.body.classList.toggle("ding", platform === "dingtalk");
  document.querySelectorAll("[data-platform]").forEach((b) => b.classList.toggle("on", b.dataset.platform === platform));
  document.querySelectorAll(".platform-name").forEach((n) => { n.textContent = platform === "dingtalk" ? "钉钉" : "企业微信"; });
  localStorage.setItem("salesbot-sim-platform", platform);
  await choosePerson(state.person.userid);
}
function showClock(clock) {
  $("#clock-label").textContent = clock.label;
  const hm = clock.label.split(" ").pop();
  $("#phone-time").textContent = hm;
  $("#phone-time-2").textContent = hm;
}
async function jump(kind, button) {
  document.querySelectorAll("[data-jump]").forEach((b) => { b.disabled = true; });
  try {
    const result = await api("/simulator/api/clock", { method: "POST", body: { jump: kind } });
    showClock(result);
    const done = result.runs.filter((r) => r.status === "done");
    const others = result.runs.filter((r) => r.status !== "done" && r.status !== "skipped");
    const skipped = result.runs.length - done.length - others.length;
    const lines = [...done, ...others].map((r) => "· " + r.text);
    let text = `时间已到 ${result.label}\n`;
    text += done.length ? `到点的定时任务已运行：\n${lines.join("\n")}` : "没有到点的定时任务";
    if (skipped) text += `\n（跳过的时间里还有 ${skipped} 次计划运行已按规则记为跳过）`;
    toast(text, 8000);
  } catch (err) {
    toast(`调时间失败：${err.message}`);
  } finally {
    document.querySelectorAll("[data-jump]").forEach((b) => { b.disabled = false; });
    refreshNow();
  }
}

// ------------------------------------------------------------------ start
async function start() {
  state.config = await api("/simulator/api/config");
  const select = $("#person");
  const byRole = new Map();
  for (const p of state.config.people) {
    if (!byRole.has(p.role_label)) byRole.set(p.role_label, []);
    byRole.get(p.role_label).push(p);
  }
  for (const [label, people] of byRole) {
    const group = el("optgroup", { label });
    for (const p of people) group.append(el("option", { value: p.userid }, `${p.name}（${p.role_label}${p.team ? " · " + p.team : ""}）`));
    select.append(group);
  }
  const ding = $("[data-platform=dingtalk]");
  if (state.config.platforms.dingtalk) { ding.disabled = false; ding.title = "钉钉外观"; }
  document.querySelectorAll("[data-platform]").forEach((b) => b.addEventListener("click", () => choosePlatform(b.dataset.platform)));
  showClock(state.config.clock);
  for (const s of state.config.samples) {
    $("#samples").append(el("button", { type: "button", "data-testid": `sample-${s.name}`, onclick: async () => {
      const blob = await (await fetch(s.url)).blob();
      await sendImage(blob, s.name);
    } }, el("img", { src: s.url, alt: s.name }), s.name));
  }
  for (const p of state.config.locations) {
    $("#places").append(el("button", { type: "button", "data-testid": "place", onclick: () => { closeSheets(); send({ type: "location", lat: p.lat, lng: p.lng, label: p.label }, "发送位置"); } },
      p.label, el("small", {}, `${p.lat}, ${p.lng}`)));
  }

  select.addEventListener("change", () => choosePerson(select.value));
  $("#group").addEventListener("change", (e) => { state.group = e.target.value; render(); });
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ type: "text", content: text }, "发送");
  });
  $("#plus").addEventListener("click", () => { const p = $("#panel"); const open = p.hidden; closeSheets(); p.hidden = !open; });
  document.querySelectorAll("[data-sheet]").forEach((b) => b.addEventListener("click", () => openSheet(b.dataset.sheet)));
  document.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", closeSheets));
  document.querySelectorAll("[data-fill]").forEach((b) => b.addEventListener("click", () => { $("#text").value = b.dataset.fill; $("#text").focus(); }));
  document.querySelectorAll("[data-jump]").forEach((b) => b.addEventListener("click", () => jump(b.dataset.jump, b)));
  $("#workbench-btn").addEventListener("click", () => openSheet("workbench"));
  $("#file").addEventListener("change", (e) => { const f = e.target.files[0]; if (f) sendImage(f, f.name); e.target.value = ""; });
  $("#send-latlng").addEventListener("click", () => {
    const lat = parseFloat($("#lat").value), lng = parseFloat($("#lng").value);
    if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) { toast("请填写正确的经纬度"); return; }
    closeSheets();
    send({ type: "location", lat, lng, label: $("#place").value.trim() || `${lat},${lng}` }, "发送位置");
  });
  $("#wv-close").addEventListener("click", () => { $("#webview").hidden = true; $("#wv-frame").src = "about:blank"; });
  $("#wv-frame").addEventListener("load", pageLoaded);
  document.addEventListener("click", (e) => {
    const link = e.target.closest("[data-url]");
    if (link) { e.preventDefault(); e.stopPropagation(); openPage(link.dataset.url); }
  }, true);

  const search = new URLSearchParams(location.search);
  const wanted = search.get("as") || localStorage.getItem("salesbot-sim-person");
  const platform = search.get("platform") || localStorage.getItem("salesbot-sim-platform") || "wecom";
  state.person = state.config.people.find((p) => p.userid === wanted) || state.config.people[0];
  if (platform === "dingtalk" && state.config.platforms.dingtalk) await choosePlatform("dingtalk");
  else await choosePerson(state.person.userid);
  setInterval(async () => { try { showClock(await api("/simulator/api/clock")); } catch (_) { /* later */ } }, 15000);
  poll();
}

start().catch((err) => toast(`模拟器启动失败：${err.message}`, 60000));

// A picture in the chat opens full size on tap (the platforms' image viewer); a tap closes it.
document.addEventListener("click", (event) => {
  const img = event.target.closest && event.target.closest(".bubble img");
  if (!img) return;
  const viewer = el("div", { class: "image-viewer", "data-testid": "image-viewer" }, el("img", { src: img.src, alt: "图片" }));
  viewer.addEventListener("click", () => viewer.remove());
  document.body.append(viewer);
});

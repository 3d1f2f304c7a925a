// brandbot's embed snippet: a floating launcher on the brand's own page and the chat in a frame.
// <script src="https://chat.example/embed.js" async data-color="#3d7a4f"></script>
"use strict";

(function () {
  const DEFAULTS = __EMBED_SETTINGS__;
  const script = document.currentScript;
  if (!script || window.__brandbotChat) return;
  window.__brandbotChat = true;
  const server = new URL(script.src, location.href).origin;
  const here = location.origin.toLowerCase();
  if (!DEFAULTS.allowedOrigins.includes(here)) {
    // The chat's frame would be refused by its CSP anyway; say why instead of an empty box.
    console.warn(`brandbot: ${here} may not embed this chat; add it to [web] allowed_origins`);
    return;
  }
  const data = script.dataset;
  const HEX = /^#[0-9a-fA-F]{6}$/;
  const color = HEX.test(data.color || "") ? data.color : DEFAULTS.color;
  const textColor = HEX.test(data.textColor || "") ? data.textColor : DEFAULTS.textColor;
  const position = data.position === "left" || data.position === "right"
    ? data.position : DEFAULTS.position;
  const name = data.name || DEFAULTS.name;
  const language = (data.lang || document.documentElement.lang || "").toLowerCase()
    .startsWith("en") ? "en" : "zh-Hans";
  const label = language === "en" ? `Chat with ${name}` : `咨询 ${name}`;

  const host = document.createElement("div");
  host.id = "brandbot-chat";
  const root = host.attachShadow({mode: "open"});
  const side = position === "left" ? "left" : "right";
  const style = document.createElement("style");
  style.textContent = `
    :host { all: initial; }
    .launcher { position: fixed; ${side}: 20px; bottom: 20px; z-index: 2147483646;
      width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
      background: ${color}; color: ${textColor}; box-shadow: 0 4px 14px rgba(0,0,0,.25);
      display: flex; align-items: center; justify-content: center; }
    .launcher:focus-visible { outline: 3px solid #1a4d8f; outline-offset: 3px; }
    .launcher .badge { position: absolute; top: 2px; ${side === "left" ? "right" : "left"}: 2px;
      width: 14px; height: 14px; border-radius: 50%; background: #c62828; border: 2px solid #fff; }
    .panel { position: fixed; ${side}: 20px; bottom: 92px; z-index: 2147483647;
      width: 380px; height: min(640px, calc(100vh - 120px)); border-radius: 14px;
      overflow: hidden; box-shadow: 0 8px 30px rgba(0,0,0,.3); background: #f7f4ec; }
    .panel[hidden] { display: none; }
    iframe { width: 100%; height: 100%; border: 0; display: block; }
    @media (max-width: 480px) {
      .panel { left: 0; right: 0; top: 0; bottom: 0; width: auto; height: auto; border-radius: 0; }
      .open .launcher { display: none; }
    }`;
  root.appendChild(style);

  const wrapper = document.createElement("div");
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.setAttribute("aria-label", label);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "brandbot-panel");
  launcher.title = label;
  launcher.innerHTML = '<svg aria-hidden="true" viewBox="0 0 24 24" width="30" height="30">'
    + '<path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 '
    + '1-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  launcher.appendChild(badge);

  const panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "brandbot-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);
  wrapper.append(panel, launcher);
  root.appendChild(wrapper);

  let frame = null;
  function open() {
    if (!frame) {
      // The frame is made on first open: a page that never opens the chat costs nothing.
      const query = new URLSearchParams({embed: "1", parent: here, lang: language, color: color,
        text_color: textColor, name: name});
      if (data.greeting) query.set("greeting", data.greeting);
      frame = document.createElement("iframe");
      frame.title = label;
      frame.src = `${server}/?${query}`;
      frame.allow = "clipboard-write";
      frame.addEventListener("load", () => focusChat());
      panel.appendChild(frame);
    }
    panel.hidden = false;
    wrapper.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    badge.hidden = true;
    focusChat();
  }
  function focusChat() {
    if (frame && !panel.hidden) {
      frame.focus();
      frame.contentWindow.postMessage({brandbot: "focus"}, server);
    }
  }
  function close() {
    panel.hidden = true;
    wrapper.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  // The chat's session token, kept in this site's own storage: browsers often refuse storage
  // to a third-party frame, and the visitor would lose the conversation on every reload.
  const TOKEN_KEY = "brandbot-chat-token";
  function savedToken() {
    try { return localStorage.getItem(TOKEN_KEY); } catch (error) { return null; }
  }
  window.addEventListener("message", (event) => {
    if (event.origin !== server || !frame || event.source !== frame.contentWindow) return;
    const what = event.data && event.data.brandbot;
    if (what === "close") close();
    if (what === "unread" && panel.hidden) badge.hidden = false;
    if (what === "token?") {
      frame.contentWindow.postMessage({brandbot: "token", token: savedToken()}, server);
    }
    if (what === "token" && typeof event.data.token === "string") {
      try { localStorage.setItem(TOKEN_KEY, event.data.token); } catch (error) { /* none */ }
    }
  });
  window.brandbotChat = {open: open, close: close};
  (document.body || document.documentElement).appendChild(host);
})();

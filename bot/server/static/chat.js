// The web chat widget: session, restored history, sending with retry, photos, live messages.
"use strict";

(function () {
  const SETTINGS = JSON.parse(document.getElementById("brandbot-settings").textContent);
  const TEXTS = {
    "zh-Hans": {
      other: "English", otherLabel: "Switch to English", subtitle: "在线客服",
      placeholder: "请输入问题…", label: "输入消息", send: "发送", attach: "发送照片",
      close: "关闭聊天", log: "聊天记录", typing: "{brand} 正在输入…",
      failed: "发送失败：{reason}", retry: "重试", offline: "网络连接中断",
      tooLarge: "照片太大了（最大 {mb} MB）", wrongType: "只能发送照片（{types}）",
      uploading: "正在上传照片…", you: "你说", them: "{brand} 说", staff: "客服",
      photo: "你发送的照片", replyPhoto: "{brand} 发送的图片", start: "可以这样问：",
      sent: "已发送", restored: "已恢复之前的对话",
    },
    en: {
      other: "中文", otherLabel: "切换到中文", subtitle: "Customer service",
      placeholder: "Type your question…", label: "Message", send: "Send", attach: "Send a photo",
      close: "Close chat", log: "Conversation", typing: "{brand} is typing…",
      failed: "Could not send: {reason}", retry: "Retry", offline: "the connection was lost",
      tooLarge: "That photo is too large (at most {mb} MB)",
      wrongType: "Only photos can be sent ({types})", uploading: "Uploading the photo…",
      you: "You said", them: "{brand} said", staff: "Staff", photo: "Your photo",
      replyPhoto: "Picture from {brand}", start: "You could ask:", sent: "Sent",
      restored: "Your earlier conversation is back",
    },
  };
  const TOKEN_KEY = "brandbot-token";
  const LANGUAGE_KEY = "brandbot-language";
  const POLL_MS = 5000;
  const SCALE_ABOVE_BYTES = 1500000;
  const LONGEST_SIDE = 2048;

  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const attachButton = document.getElementById("attach");
  const photoInput = document.getElementById("photo");
  const languageButton = document.getElementById("language");
  const closeButton = document.getElementById("close");
  const status = document.getElementById("status");

  let language = readStored(LANGUAGE_KEY) || SETTINGS.language;
  let mode = SETTINGS.embed ? "token" : "cookie";  // frames get no first-party cookie
  let token = mode === "token" ? readStored(TOKEN_KEY) : null;
  let lastId = 0;
  let busy = false;
  let talked = false;  // the visitor has a conversation: live messages can reach them
  let streaming = false;
  let pollTimer = null;

  // Storage can be refused (a private window, a third-party frame): then keep it in memory.
  function readStored(key) {
    try { return localStorage.getItem(key); } catch (error) { return null; }
  }
  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (error) { /* memory only */ }
  }

  // crypto.randomUUID exists only in secure contexts (HTTPS, localhost); plain HTTP elsewhere
  // still has getRandomValues.
  function newId() {
    const cryptography = window.crypto;
    if (cryptography && typeof cryptography.randomUUID === "function") {
      return cryptography.randomUUID();
    }
    const bytes = new Uint8Array(16);
    if (cryptography && cryptography.getRandomValues) {
      cryptography.getRandomValues(bytes);
    } else {
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function t(key, values) {
    let text = TEXTS[language][key];
    const all = Object.assign({brand: SETTINGS.brand}, values || {});
    for (const name of Object.keys(all)) text = text.split(`{${name}}`).join(String(all[name]));
    return text;
  }

  function applyTexts() {
    document.documentElement.lang = language;
    document.title = SETTINGS.brand;
    document.getElementById("brand").textContent = SETTINGS.brand;
    document.getElementById("subtitle").textContent = t("subtitle");
    document.getElementById("text-label").textContent = t("label");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
    attachButton.setAttribute("aria-label", t("attach"));
    attachButton.title = t("attach");
    closeButton.setAttribute("aria-label", t("close"));
    log.setAttribute("aria-label", t("log"));
    languageButton.textContent = t("other");
    languageButton.setAttribute("aria-label", t("otherLabel"));
    languageButton.lang = language === "en" ? "zh-Hans" : "en";
  }

  // ---- the conversation on screen --------------------------------------------------------

  function scrollToEnd() {
    // After everything of a turn is added (bubble, buttons, error line), never before.
    log.scrollTop = log.scrollHeight;
  }

  function line(who, label) {
    const row = document.createElement("div");
    row.className = `line ${who}`;
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = label;
    row.appendChild(said);
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    row.appendChild(bubble);
    log.insertBefore(row, typingRow && typingRow.parentNode === log ? typingRow : null);
    return bubble;
  }

  function image(url, alt, width, height) {
    const img = document.createElement("img");
    img.src = url;
    img.alt = alt;
    if (width && height) { img.width = width; img.height = height; }
    img.decoding = "async";
    // A photo that loads later must not push the newest line out of view.
    img.addEventListener("load", scrollToEnd);
    return img;
  }

  function showMine(text, photo) {
    const bubble = line("me", t("you"));
    if (photo) bubble.appendChild(image(photo.url, t("photo"), photo.width, photo.height));
    if (text) {
      const caption = document.createElement("span");
      if (photo) caption.className = "caption";
      caption.textContent = text;
      bubble.appendChild(caption);
    }
    return bubble;
  }

  function disableButtons(chosen) {
    for (const button of log.querySelectorAll(".buttons button, .suggestions button")) {
      button.disabled = true;
      if (button === chosen) {
        button.classList.add("chosen");
        button.setAttribute("aria-pressed", "true");
      }
    }
    // The greeting stays; its suggestions were for an empty chat.
    for (const row of log.querySelectorAll(".suggestions")) row.remove();
  }

  function showReply(reply, fromStaff) {
    const bubble = line(fromStaff ? "bot staff" : "bot", t("them"));
    if (reply.image_url) bubble.appendChild(image(reply.image_url, t("replyPhoto")));
    const text = document.createElement("span");
    text.textContent = reply.text || "";
    bubble.appendChild(text);
    if (reply.link && /^https?:/i.test(reply.link.url)) {
      const link = document.createElement("a");
      link.href = reply.link.url;
      link.textContent = reply.link.title || reply.link.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      bubble.appendChild(document.createElement("br"));
      bubble.appendChild(link);
    }
    if (reply.buttons && reply.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      row.setAttribute("role", "group");
      for (const choice of reply.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.title;
        button.addEventListener("click", () => {
          if (busy) return;
          disableButtons(button);
          send({text: choice.title, button: choice.id});
        });
        row.appendChild(button);
      }
      bubble.parentNode.appendChild(row);
    }
    return bubble;
  }

  function greet() {
    const bubble = showReply({text: SETTINGS.greeting[language], buttons: []});
    bubble.parentNode.classList.add("greeting");
    const suggestions = SETTINGS.suggestions[language] || [];
    if (!suggestions.length) return;
    const row = document.createElement("div");
    row.className = "suggestions";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", t("start"));
    for (const question of suggestions) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = question;
      button.addEventListener("click", () => { if (!busy) send({text: question}); });
      row.appendChild(button);
    }
    bubble.parentNode.appendChild(row);
  }

  let typingRow = null;
  function typing(on) {
    if (on && !typingRow) {
      typingRow = document.createElement("div");
      typingRow.className = "line bot typing";
      const bubble = document.createElement("div");
      bubble.className = "bubble";
      for (let i = 0; i < 3; i++) {
        const dot = document.createElement("span");
        dot.className = "dot";
        bubble.appendChild(dot);
      }
      const words = document.createElement("span");
      words.className = "visually-hidden";
      words.textContent = t("typing");
      bubble.appendChild(words);
      typingRow.appendChild(bubble);
      log.appendChild(typingRow);
      status.textContent = t("typing");
    } else if (!on && typingRow) {
      typingRow.remove();
      typingRow = null;
      status.textContent = "";
    }
  }

  function setBusy(on) {
    busy = on;
    sendButton.disabled = on;
    attachButton.disabled = on;
    typing(on);
    scrollToEnd();
  }

  function showFailure(reason, again) {
    const row = document.createElement("div");
    row.className = "error";
    row.setAttribute("role", "alert");
    const words = document.createElement("span");
    words.textContent = t("failed", {reason: reason});
    row.appendChild(words);
    if (again) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.textContent = t("retry");
      retry.addEventListener("click", () => {
        if (busy) return;
        row.remove();
        again();
      });
      row.appendChild(retry);
    }
    log.appendChild(row);
    scrollToEnd();
    return row;
  }

  // ---- talking to the server -------------------------------------------------------------

  function headers(extra) {
    const all = Object.assign({}, extra || {});
    if (mode === "token" && token) all.Authorization = `Bearer ${token}`;
    return all;
  }

  async function openSession() {
    const response = await fetch("/api/chat/session", {
      method: "POST", headers: headers({"Content-Type": "application/json"}),
      body: JSON.stringify({mode: mode}), credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    if (mode === "token") {
      token = data.token;
      store(TOKEN_KEY, token);
      toParent({brandbot: "token", token: token});
    }
    return data;
  }

  function toParent(message) {
    if (SETTINGS.embed && SETTINGS.parent && window.parent !== window) {
      window.parent.postMessage(message, SETTINGS.parent);
    }
  }

  // A third-party frame's own storage is often refused (Chromium, Safari): the embedding
  // page keeps the token in its first-party storage and hands it back on load.
  function tokenFromParent() {
    return new Promise((resolve) => {
      if (!SETTINGS.embed || !SETTINGS.parent || window.parent === window) return resolve(null);
      const timer = setTimeout(() => resolve(null), 1000);
      window.addEventListener("message", function answer(event) {
        if (event.origin !== SETTINGS.parent || event.source !== window.parent) return;
        if (!event.data || event.data.brandbot !== "token") return;
        clearTimeout(timer);
        window.removeEventListener("message", answer);
        resolve(typeof event.data.token === "string" ? event.data.token : null);
      });
      window.parent.postMessage({brandbot: "token?"}, SETTINGS.parent);
    });
  }

  // One call; a lost or refused session is opened again once (cookies off: tokens instead);
  // "too many at once" (429) is waited out and sent again, with the same message id.
  async function call(path, options) {
    for (let attempt = 0, waits = 0; ; ) {
      const response = await fetch(path, Object.assign({credentials: "same-origin"}, options, {
        headers: headers(options && options.headers),
      }));
      if (response.status === 429 && waits < 3) {
        waits++;
        const seconds = Math.min(Number(response.headers.get("Retry-After")) || 2, 10);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      if (response.status !== 401 || attempt >= 2) return response;
      if (attempt === 1 && mode === "cookie") mode = "token";
      attempt++;
      await openSession();
    }
  }

  async function answerOf(response) {
    let data = {};
    try { data = await response.json(); } catch (error) { /* not JSON: use the status */ }
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function reasonOf(error) {
    return error instanceof TypeError ? t("offline") : error.message;
  }

  async function post(body) {
    const response = await call("/api/chat", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    return answerOf(response);
  }

  // The message id is made once: a retry sends the same id, so the bot answers it once.
  async function send(message) {
    const body = {message_id: newId(), text: message.text || "", button: message.button || null};
    if (message.image) body.image = message.image.id;
    if (!message.shown) showMine(message.text, message.image);
    await deliver(body);
  }

  async function deliver(body) {
    disableButtons(null);
    setBusy(true);
    try {
      const data = await post(body);
      setBusy(false);
      for (const reply of data.replies) showReply(reply, false);
      talked = true;
      listen();
    } catch (error) {
      setBusy(false);
      showFailure(reasonOf(error), () => deliver(body));
    }
    scrollToEnd();
  }

  // ---- photos --------------------------------------------------------------------------

  function typeNames() {
    return SETTINGS.uploadTypes.map((type) => type.replace("image/", "").toUpperCase()).join(", ");
  }

  // A large phone photo is scaled down before it goes (the server re-encodes it anyway).
  async function shrink(file) {
    if (file.size <= SCALE_ABOVE_BYTES || file.type === "image/gif" || !window.createImageBitmap) {
      return file;
    }
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      return blob && blob.size < file.size ? blob : file;
    } catch (error) {
      return file;
    }
  }

  async function sendPhoto(file) {
    if (!SETTINGS.uploadTypes.includes(file.type)) {
      showFailure(t("wrongType", {types: typeNames()}), null);
      return;
    }
    const preview = URL.createObjectURL(file);
    showMine("", {url: preview});
    scrollToEnd();
    const upload = async () => {
      setBusy(true);
      status.textContent = t("uploading");
      try {
        const body = await shrink(file);
        if (body.size > SETTINGS.maxUploadBytes) {
          setBusy(false);
          showFailure(t("tooLarge", {mb: Math.floor(SETTINGS.maxUploadBytes / 1048576)}), null);
          return;
        }
        const response = await call("/api/chat/uploads", {
          method: "POST", headers: {"Content-Type": body.type || file.type}, body: body,
        });
        const kept = await answerOf(response);
        setBusy(false);
        await send({text: "", image: kept, shown: true});
      } catch (error) {
        setBusy(false);
        showFailure(reasonOf(error), upload);
      }
    };
    await upload();
  }

  // ---- messages sent later: the live stream, else polling --------------------------------

  function takeLater(entry) {
    if (entry.id <= lastId) return;
    lastId = entry.id;
    if (entry.direction === "out" && entry.route === "relay") {
      showReply(entry.reply || {text: entry.text, buttons: []}, true);
      scrollToEnd();
      toParent({brandbot: "unread"});
    }
  }

  async function poll() {
    try {
      const response = await call(`/api/chat/history?after=${lastId}`, {});
      const data = await answerOf(response);
      for (const entry of data.messages) takeLater(entry);
    } catch (error) { /* the next round tries again */ }
  }

  function polling(on) {
    if (on && !pollTimer) pollTimer = setInterval(poll, POLL_MS);
    if (!on && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  async function listen() {
    if (streaming || !talked) return;
    streaming = true;
    let again = 1000;
    try {
      const response = await call(`/api/chat/stream?after=${lastId}`, {cache: "no-store"});
      if (response.status === 204) { again = 0; return; }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      polling(false);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, {stream: true});
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").filter((row) => row.startsWith("data:"))
            .map((row) => row.slice(5).trimStart()).join("\n");
          if (data) takeLater(JSON.parse(data));
        }
      }
    } catch (error) {
      // No stream through this network (a proxy that buffers, an old browser): poll instead.
      polling(true);
      again = 15000;
    } finally {
      streaming = false;
      if (again) setTimeout(listen, again);
    }
  }

  // ---- the page ------------------------------------------------------------------------

  function restore(messages) {
    let lastReply = null;
    for (const entry of messages) {
      if (entry.direction === "in") {
        showMine(entry.text, entry.image || null);
        lastReply = null;
      } else {
        const reply = entry.reply || {text: entry.text, buttons: []};
        lastReply = showReply(reply, entry.route === "relay");
      }
      lastId = Math.max(lastId, entry.id);
    }
    // Only the newest buttons still mean something (a number answers those, too).
    const live = lastReply && lastReply.parentNode.querySelector(".buttons");
    for (const button of log.querySelectorAll(".buttons button")) {
      if (!live || !live.contains(button)) button.disabled = true;
    }
  }

  async function start() {
    applyTexts();
    document.documentElement.style.setProperty("--brand", SETTINGS.color);
    document.documentElement.style.setProperty("--brand-text", SETTINGS.textColor);
    if (SETTINGS.embed) {
      document.body.classList.add("embedded");
      closeButton.hidden = false;
    }
    input.maxLength = SETTINGS.maxTextChars;
    photoInput.accept = SETTINGS.uploadTypes.join(",");
    try {
      if (mode === "token" && !token) token = await tokenFromParent();
      await openSession();
      const response = await call("/api/chat/history?after=0", {});
      const data = await answerOf(response);
      if (data.messages.length) {
        restore(data.messages);
        talked = true;
        status.textContent = t("restored");
        listen();
      } else {
        greet();
      }
    } catch (error) {
      greet();
      showFailure(reasonOf(error), () => { log.textContent = ""; start(); });
    }
    scrollToEnd();
    if (!SETTINGS.embed) input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (busy || !text.trim()) return;
    input.value = "";
    send({text: text});
  });
  attachButton.addEventListener("click", () => { if (!busy) photoInput.click(); });
  photoInput.addEventListener("change", () => {
    const file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (file) sendPhoto(file);
    input.focus();
  });
  languageButton.addEventListener("click", () => {
    language = language === "en" ? "zh-Hans" : "en";
    store(LANGUAGE_KEY, language);
    applyTexts();
    const greeting = log.querySelector(".greeting");
    if (greeting && log.querySelectorAll(".line").length === 1) {
      greeting.remove();
      greet();
    }
    languageButton.focus();
  });
  function close() {
    toParent({brandbot: "close"});
  }
  closeButton.addEventListener("click", close);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  window.addEventListener("message", (event) => {
    // Only the page that embeds us (an allowed origin, checked by the server) may steer us.
    if (!SETTINGS.embed || event.origin !== SETTINGS.parent || event.source !== window.parent) return;
    if (event.data && event.data.brandbot === "focus") input.focus();
  });
  start();
})();

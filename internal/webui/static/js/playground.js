// Switchyard playground: streams chat completions from
// POST /ui/playground/chat (the session's key is added by the server) and
// renders each answer as it arrives. Model text is never parsed as HTML:
// the small Markdown renderer below builds DOM nodes and sets textContent
// (paragraphs, fenced code, inline code, bold, lists, headings).
"use strict";
(function () {
  // ---- Markdown, safely ----
  function appendInline(parent, text) {
    var re = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var el = document.createElement(m[1] ? "code" : "strong");
      el.textContent = m[0].slice(m[1] ? 1 : 2, m[1] ? -1 : -2);
      parent.appendChild(el);
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var fenceRe = /^\s*```/, ulRe = /^\s*[-*+]\s+/, olRe = /^\s*\d+[.)]\s+/, headRe = /^\s*#{1,6}\s+/;

  function renderMarkdown(text, target) {
    var frag = document.createDocumentFragment();
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    var i = 0;
    while (i < lines.length) {
      var line = lines[i];
      if (fenceRe.test(line)) {
        var code = [];
        i++;
        while (i < lines.length && !fenceRe.test(lines[i])) code.push(lines[i++]);
        i++; // the closing fence (or the end of an answer still streaming)
        var pre = document.createElement("pre"), c = document.createElement("code");
        c.textContent = code.join("\n");
        pre.appendChild(c);
        frag.appendChild(pre);
        continue;
      }
      if (/^\s*$/.test(line)) { i++; continue; }
      if (ulRe.test(line) || olRe.test(line)) {
        var ordered = olRe.test(line), re = ordered ? olRe : ulRe;
        var list = document.createElement(ordered ? "ol" : "ul");
        while (i < lines.length && re.test(lines[i])) {
          var li = document.createElement("li");
          appendInline(li, lines[i].replace(re, ""));
          list.appendChild(li);
          i++;
        }
        frag.appendChild(list);
        continue;
      }
      if (headRe.test(line)) {
        var h = document.createElement("p"), s = document.createElement("strong");
        s.textContent = line.replace(headRe, "");
        h.appendChild(s);
        frag.appendChild(h);
        i++;
        continue;
      }
      var p = document.createElement("p"), first = true;
      while (i < lines.length && !/^\s*$/.test(lines[i]) && !fenceRe.test(lines[i]) &&
        !ulRe.test(lines[i]) && !olRe.test(lines[i]) && !headRe.test(lines[i])) {
        if (!first) p.appendChild(document.createElement("br"));
        appendInline(p, lines[i]);
        first = false;
        i++;
      }
      frag.appendChild(p);
    }
    target.textContent = "";
    target.appendChild(frag);
  }

  // ---- Streaming ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function splitList(v) {
    return v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function Pane(index) {
    this.root = document.getElementById("pg-pane-" + index);
    this.title = document.getElementById("pg-title-" + index);
    this.log = this.root.querySelector(".pg-log");
    this.messages = [];
    this.controller = null;
  }

  Pane.prototype.clear = function () {
    this.messages = [];
    this.log.textContent = "";
  };

  Pane.prototype.send = function (model, settings, userText) {
    var pane = this;
    pane.title.textContent = model;
    pane.messages.push({ role: "user", content: userText });
    pane.log.appendChild(el("div", "msg user", userText));
    var answer = el("div", "msg assistant"), meta = el("p", "meta", "Waiting for " + model + "…");
    pane.log.appendChild(answer);
    pane.log.appendChild(meta);
    var msgs = [];
    if (settings.system) msgs.push({ role: "system", content: settings.system });
    var body = { model: model, stream: true, messages: msgs.concat(pane.messages) };
    if (settings.temperature !== "") body.temperature = Number(settings.temperature);
    if (settings.maxTokens !== "") body.max_tokens = Number(settings.maxTokens);
    if (settings.order.length || settings.only.length) {
      body.provider = {};
      if (settings.order.length) body.provider.order = settings.order;
      if (settings.only.length) body.provider.only = settings.only;
    }
    pane.controller = new AbortController();
    var started = performance.now(), firstToken = 0, text = "", provider = "", usage = null, cost = "";
    var scheduled = false;
    function paint() {
      scheduled = false;
      renderMarkdown(text, answer);
    }
    function schedule() {
      if (!scheduled) { scheduled = true; requestAnimationFrame(paint); }
    }
    function fail(message) {
      answer.appendChild(el("p", "msg error", message));
      meta.textContent = "Failed after " + Math.round(performance.now() - started) + " ms";
    }
    function handle(data) {
      var chunk;
      try { chunk = JSON.parse(data); } catch (e) { return; }
      if (chunk.provider) provider = chunk.provider;
      if (chunk.error) { fail((chunk.error.message || "The stream failed.")); return; }
      var ch = chunk.choices && chunk.choices[0];
      var delta = ch && ch.delta && ch.delta.content;
      if (delta) {
        if (!firstToken) firstToken = performance.now();
        text += delta;
        schedule();
      }
      if (chunk.usage) {
        usage = chunk.usage;
        // The exact decimal of the cost, as the server wrote it.
        var m = /"cost"\s*:\s*([0-9.eE+-]+)/.exec(data);
        cost = m ? m[1] : String(usage.cost == null ? "" : usage.cost);
      }
    }
    return fetch("/ui/playground/chat", {
      method: "POST", credentials: "same-origin", signal: pane.controller.signal,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      if (!resp.ok || type.indexOf("text/event-stream") !== 0) {
        return resp.text().then(function (t) {
          var msg = "Error " + resp.status;
          try { msg += ": " + JSON.parse(t).error.message; } catch (e) {
            if (resp.status === 403) msg += ": your session ended or the page is stale; reload it.";
          }
          fail(msg);
        });
      }
      var reader = resp.body.getReader(), decoder = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) return;
          buf += decoder.decode(r.value, { stream: true });
          var events = buf.split(/\r?\n\r?\n/);
          buf = events.pop();
          events.forEach(function (ev) {
            ev.split(/\r?\n/).forEach(function (line) {
              if (line.indexOf("data:") !== 0) return; // comments (keep-alives) and other fields
              var data = line.slice(5).trim();
              if (data && data !== "[DONE]") handle(data);
            });
          });
          return pump();
        });
      }
      return pump().then(function () {
        paint();
        pane.messages.push({ role: "assistant", content: text });
        var parts = [];
        if (provider) parts.push(provider);
        if (firstToken) parts.push("first token " + Math.round(firstToken - started) + " ms");
        parts.push("total " + Math.round(performance.now() - started) + " ms");
        if (usage) {
          parts.push(usage.prompt_tokens + " prompt + " + usage.completion_tokens + " completion tokens");
          if (cost !== "") parts.push("$" + cost);
        }
        meta.textContent = parts.join(" · ");
      });
    }).catch(function (e) {
      if (e && e.name === "AbortError") { meta.textContent = "Stopped."; return; }
      fail("The request failed: " + (e && e.message ? e.message : e));
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("pg-form");
    if (!form) return;
    var panes = [new Pane(0), new Pane(1)];
    var compare = document.getElementById("pg-compare"), second = document.getElementById("pg-model-1");
    var send = document.getElementById("pg-send"), stop = document.getElementById("pg-stop");
    var status = document.getElementById("pg-status"), message = document.getElementById("pg-message");
    var canChat = form.getAttribute("data-can-chat") === "true";
    compare.addEventListener("change", function () {
      second.disabled = !compare.checked;
      panes[1].root.hidden = !compare.checked;
    });
    document.getElementById("pg-clear").addEventListener("click", function () {
      panes.forEach(function (p) { p.clear(); });
      status.textContent = "Conversation cleared.";
    });
    stop.addEventListener("click", function () {
      panes.forEach(function (p) { if (p.controller) p.controller.abort(); });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!canChat) return;
      var text = message.value.trim();
      if (!text) { message.focus(); return; }
      var settings = {
        system: document.getElementById("pg-system").value.trim(),
        temperature: document.getElementById("pg-temperature").value,
        maxTokens: document.getElementById("pg-max-tokens").value,
        order: splitList(document.getElementById("pg-order").value),
        only: splitList(document.getElementById("pg-only").value)
      };
      var jobs = [panes[0].send(document.getElementById("pg-model-0").value, settings, text)];
      if (compare.checked) jobs.push(panes[1].send(second.value, settings, text));
      message.value = "";
      send.disabled = true;
      stop.disabled = false;
      status.textContent = "Streaming…";
      Promise.all(jobs).then(function () {
        send.disabled = false;
        stop.disabled = true;
        status.textContent = "Done.";
        message.focus();
      });
    });
  });
})();

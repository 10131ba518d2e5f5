// The field outbox: forms marked data-outbox (engagement activity, support visit, before/after, check-in)
// survive a phone without a network, with no service worker (none runs inside WeChat/WeCom on iOS).
//
// On submit the record and its (already reduced) photos are written to IndexedDB in one transaction, under
// the form's idempotency key, then sent. The server carries out a key once (lms/idempotency.py), so sending
// an item again after a lost answer never makes a second row. An item is removed only when the server
// acknowledged its key and every file's SHA-256 it received equals ours. A 4xx marks the item failed with
// the server's message and keeps it for editing; a 5xx or a network error retries with backoff. Items are
// sent oldest first on page load, on `online`, when the page becomes visible, every 30 s while items
// wait, and on "Send now". Items belong to the person who made them: another account never sends them.
(function () {
  "use strict";
  if (!window.indexedDB || !window.fetch || !window.FormData) return;

  var DB_NAME = "lms-outbox";
  var STORE = "items";
  var TICK_MS = 30000;
  var BASE_DELAY_MS = 5000;
  var MAX_DELAY_MS = 300000;
  var panel = document.getElementById("outbox");
  var body = document.body;
  var userId = body.dataset.userId || "";
  var text = panel ? panel.dataset : {};
  var cachedCount = 0;
  var syncing = null;

  // --- IndexedDB

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("created", "created");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result;
        transaction.oncomplete = function () { db.close(); resolve(result); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
        result = work(transaction.objectStore(STORE));
      });
    });
  }

  function all() {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = db.transaction(STORE).objectStore(STORE).index("created").getAll();
        request.onsuccess = function () {
          db.close();
          resolve(request.result.filter(function (item) { return item.user === userId; }));
        };
        request.onerror = function () { db.close(); reject(request.error); };
      });
    });
  }

  function put(item) { return tx("readwrite", function (store) { store.put(item); }); }
  function remove(id) { return tx("readwrite", function (store) { store.delete(id); }); }
  function get(id) {
    return open().then(function (db) {
      return new Promise(function (resolve) {
        var request = db.transaction(STORE).objectStore(STORE).get(id);
        request.onsuccess = function () { db.close(); resolve(request.result || null); };
        request.onerror = function () { db.close(); resolve(null); };
      });
    });
  }

  // --- helpers

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" +
      hex.slice(20);
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buffer) { return crypto.subtle.digest("SHA-256", buffer); })
      .then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (b) {
          return (b + 256).toString(16).slice(1);
        }).join("");
      });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function formKey(form) {
    var url = new URL(form.action, window.location.href);
    return { path: url.pathname, key: url.searchParams.get("idempotency_key") || uuid() };
  }

  // The server's message of a refusal (the API's JSON error, or the page's alerts and field errors) and its page.
  function refusalOf(response) {
    return response.text().then(function (html) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") >= 0) {
        try {
          var answer = JSON.parse(html);
          return { message: (answer.error && answer.error.message) || response.statusText, html: "" };
        } catch (error) {
          return { message: response.statusText, html: "" };
        }
      }
      var doc = new DOMParser().parseFromString(html, "text/html");
      var parts = [];
      doc.querySelectorAll("main [role=alert], main .field-errors li, main .error-message").forEach(function (el) {
        var label = "";
        var list = el.closest(".field-errors");
        if (list && list.previousElementSibling) {
          var field = list.parentElement.querySelector("label");
          label = field ? field.textContent.trim() + ": " : "";
        }
        var line = label + el.textContent.trim();
        if (line && parts.indexOf(line) < 0) parts.push(line);
      });
      return { message: parts.join(" ") || (response.status + " " + response.statusText), html: html };
    });
  }

  // --- capture

  function capture(form) {
    var target = formKey(form);
    var fields = [];
    var files = [];
    var data = new FormData(form);
    var pending = [];
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (value instanceof File) {
        if (!value.size && !value.name) return;
        var reduce = window.lmsReducePhoto || function (file) { return Promise.resolve(file); };
        pending.push(reduce(value).then(function (reduced) {
          return sha256(reduced).then(function (digest) {
            files.push({ field: name, name: reduced.name, type: reduced.type, blob: reduced, sha256: digest });
          });
        }));
      } else {
        fields.push([name, value]);
      }
    });
    if (form.hasAttribute("data-outbox-stamp")) {
      // When the QR was scanned, for the person's own list; the server judges the token by its signed moment.
      fields = fields.filter(function (pair) { return pair[0] !== "scanned_at"; });
      fields.push(["scanned_at", new Date().toISOString()]);
    }
    return Promise.all(pending).then(function () {
      var titleInput = form.querySelector("[name=title], [name=place], [name=discussion]");
      return {
        id: target.key,
        user: userId,
        path: target.path,
        page: window.location.pathname,
        label: form.dataset.outbox || document.title,
        title: titleInput ? String(titleInput.value).slice(0, 80) : "",
        fields: fields,
        files: files,
        created: Date.now(),
        state: "waiting",
        attempts: 0,
        nextAt: 0,
        message: "",
      };
    });
  }

  function send(item) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    item.files.forEach(function (file) { data.append(file.field, new File([file.blob], file.name, { type: file.type })); });
    return fetch(item.path + "?idempotency_key=" + encodeURIComponent(item.id), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Outbox": "1", "X-CSRFToken": csrfToken() },
    });
  }

  // What the server acknowledged: {ok, location, html} or {retry} or {failed, message}.
  function judge(item, response) {
    if (response.status >= 500 || response.status === 429) return Promise.resolve({ retry: true });
    if (response.status >= 400) {
      return refusalOf(response).then(function (refusal) {
        return { failed: true, message: refusal.message, html: refusal.html };
      });
    }
    if (response.headers.get("Idempotency-Key") !== item.id) {
      // Not our create's answer: the session ended (the login page) or a proxy answered.
      return Promise.resolve({ retry: true, message: text.signIn || "" });
    }
    var type = response.headers.get("Content-Type") || "";
    var answer = type.indexOf("json") >= 0 ? response.json() : response.text().then(function (html) {
      var received = (response.headers.get("Idempotency-Received") || "").split(",").filter(Boolean)
        .map(function (part) {
          var pair = part.split("=");
          return { field: pair[0], sha256: pair[1] };
        });
      return { received: received, html: html };
    });
    return answer.then(function (result) {
      var got = (result.received || []).map(function (one) { return one.field + "=" + one.sha256; }).sort();
      var sent = item.files.map(function (one) { return one.field + "=" + one.sha256; }).sort();
      if (got.join() !== sent.join()) {
        return { failed: true, message: text.badBytes || "SHA-256" };
      }
      return { ok: true, location: result.location, html: result.html };
    });
  }

  function delayFor(attempts) {
    return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, Math.max(0, attempts - 1)));
  }

  function retryLater(item, message) {
    item.state = "waiting";
    item.attempts += 1;
    item.nextAt = Date.now() + delayFor(item.attempts);
    item.message = message || "";
    return put(item);
  }

  // Send waiting items oldest first. `force` ignores the backoff (Send now, the network came back).
  function sync(force) {
    if (!userId) return Promise.resolve();
    if (syncing) return syncing;
    var run = function () {
      return all().then(function (items) {
        var chain = Promise.resolve();
        items.forEach(function (item) {
          if (item.state === "failed" || (!force && item.nextAt > Date.now())) return;
          chain = chain.then(function () {
            if (!navigator.onLine && !force) return;
            return send(item).then(function (response) {
              return judge(item, response);
            }, function () {
              return { retry: true };
            }).then(function (verdict) {
              if (verdict.ok) return remove(item.id);
              if (verdict.failed) {
                item.state = "failed";
                item.message = verdict.message;
                return put(item);
              }
              return retryLater(item, verdict.message);
            });
          });
        });
        return chain;
      });
    };
    var locked = navigator.locks && navigator.locks.request
      ? navigator.locks.request("lms-outbox", run) : run();
    syncing = Promise.resolve(locked).catch(function () {}).then(function () {
      syncing = null;
      return refresh();
    });
    return syncing;
  }

  // --- display

  function refresh() {
    if (!panel) return Promise.resolve();
    return all().then(function (items) {
      cachedCount = items.length;
      var badge = document.getElementById("outbox-count");
      var link = document.getElementById("outbox-link");
      if (badge) badge.textContent = String(items.length);
      if (link) link.hidden = items.length === 0;
      panel.hidden = items.length === 0;
      var list = panel.querySelector("ol");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.testid = "outbox-item";
        li.dataset.state = item.state;
        var title = document.createElement("strong");
        title.textContent = item.label + (item.title ? " · " + item.title : "");
        li.appendChild(title);
        var state = document.createElement("span");
        state.className = "tag";
        state.textContent = item.state === "failed" ? text.failed : text.waiting;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(state);
        var when = document.createElement("span");
        when.className = "muted small";
        when.textContent = " " + new Date(item.created).toLocaleString();
        li.appendChild(when);
        if (item.message) {
          var message = document.createElement("p");
          message.className = item.state === "failed" ? "form-error" : "muted small";
          message.dataset.testid = "outbox-message";
          message.textContent = item.message;
          li.appendChild(message);
        }
        if (item.state === "failed") {
          var edit = document.createElement("a");
          edit.href = item.page + "#outbox=" + encodeURIComponent(item.id);
          edit.textContent = text.edit;
          edit.className = "button";
          li.appendChild(edit);
        }
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "link";
        discard.textContent = text.discard;
        discard.addEventListener("click", function () {
          if (window.confirm(text.discardConfirm)) remove(item.id).then(refresh);
        });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(discard);
        list.appendChild(li);
      });
      var usage = panel.querySelector("[data-storage]");
      if (usage && navigator.storage && navigator.storage.estimate) {
        navigator.storage.estimate().then(function (estimate) {
          usage.textContent = (text.storageLabel || "") + " " + ((estimate.usage || 0) / 1048576).toFixed(1) + " MB";
        });
      }
    }).catch(function () {});
  }

  function notice(message) {
    var box = document.getElementById("outbox-notice");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  // --- forms

  function fillFromItem(form, item) {
    item.fields.forEach(function (pair) {
      var input = form.querySelector("[name='" + CSS.escape(pair[0]) + "']");
      if (input && input.type !== "file") input.value = pair[1];
    });
    if (window.DataTransfer) {
      var byField = {};
      item.files.forEach(function (file) {
        (byField[file.field] = byField[file.field] || []).push(new File([file.blob], file.name, { type: file.type }));
      });
      Object.keys(byField).forEach(function (name) {
        var input = form.querySelector("input[type=file][name='" + CSS.escape(name) + "']");
        if (!input) return;
        var transfer = new DataTransfer();
        byField[name].forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
      });
    }
    // The refused key was never stored by the server: the corrected record goes under the same key.
    var url = new URL(form.action, window.location.href);
    url.searchParams.set("idempotency_key", item.id);
    form.action = url.pathname + url.search;
    if (item.message) notice(item.message);
  }

  function nextKey(form) {
    var url = new URL(form.action, window.location.href);
    url.searchParams.set("idempotency_key", uuid());
    form.action = url.pathname + url.search;
  }

  function showPage(html) {
    document.open();
    document.write(html);
    document.close();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches("form.logout") && cachedCount > 0) {
      var ask = (text.logoutConfirm || "").replace("{count}", String(cachedCount));
      if (!window.confirm(ask)) event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-outbox") || !userId) return;
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    capture(form).then(function (item) {
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
      return put(item).then(function () { return item; });
    }).then(function (item) {
      if (!navigator.onLine) throw new Error("offline");
      return send(item).then(function (response) {
        return judge(item, response).then(function (verdict) {
          if (verdict.ok) {
            return remove(item.id).then(function () {
              if (verdict.location) window.location.assign(verdict.location);
              else if (verdict.html) showPage(verdict.html);
            });
          }
          if (verdict.failed && verdict.html) {
            // Online and refused: the person is here to correct it on the form, as without the outbox.
            return remove(item.id).then(function () { showPage(verdict.html); });
          }
          if (verdict.failed) {
            item.state = "failed";
            item.message = verdict.message;
            return put(item).then(function () { notice(verdict.message); return refresh(); });
          }
          throw new Error("retry");
        });
      });
    }).catch(function () {
      // No network, or the server did not acknowledge: the record waits on this phone.
      return get(formKey(form).key).then(function (item) {
        if (!item) return;
        item.nextAt = Date.now() + BASE_DELAY_MS;
        return put(item).then(function () {
          form.reset();
          nextKey(form);
          notice(text.saved || "");
          return refresh();
        });
      });
    }).then(function () {
      if (button) button.disabled = false;
    });
  });

  // --- wiring

  if (panel) {
    var now = panel.querySelector("[data-send-now]");
    if (now) now.addEventListener("click", function () { sync(true); });
  }
  window.addEventListener("online", function () { sync(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sync(false);
  });
  setInterval(function () { if (cachedCount > 0) sync(false); }, TICK_MS);

  // "Correct it" opens the item's form with #outbox=<id>: the form is filled with what the phone kept.
  function editFromHash() {
    var match = /#outbox=([\w-]+)/.exec(window.location.hash);
    var editing = match && document.querySelector("form[data-outbox]");
    if (!editing) return;
    get(decodeURIComponent(match[1])).then(function (item) {
      if (item && item.user === userId) {
        fillFromItem(editing, item);
        editing.scrollIntoView();
      }
    });
  }
  window.addEventListener("hashchange", editFromHash);
  editFromHash();
  refresh().then(function () { return sync(false); });

  window.lmsOutbox = { sync: sync, refresh: refresh, all: all, put: put };
})();

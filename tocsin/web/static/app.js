/* tocsin web app: live refresh details, offline banner, push on this device, small conveniences.
   No inline scripts and no eval: the page's Content-Security-Policy allows neither. */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (err) {
      console.warn("service worker not registered", err);
    });
  }

  // --- offline banner --------------------------------------------------------------------------
  function setOffline(offline) {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = !offline;
  }
  window.addEventListener("offline", function () { setOffline(true); });
  window.addEventListener("online", function () { setOffline(false); });
  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.onLine || document.body.hasAttribute("data-offline")) setOffline(true);
  });
  document.addEventListener("htmx:sendError", function () { setOffline(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.xhr && event.detail.xhr.status > 0 && !document.body.hasAttribute("data-offline")) setOffline(false);
  });

  // --- live refresh: tell the server which version the page shows, so it can answer 204 --------
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.dataset && elt.dataset.version && event.detail.verb === "get") {
      event.detail.headers["X-List-Version"] = elt.dataset.version;
    }
  });

  // Keep "5 min ago" current without asking the server.
  function age(seconds) {
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h ago";
    return Math.floor(seconds / 86400) + " d ago";
  }
  var skew = null;  // server time minus browser time, from the first page
  function refreshAges() {
    var nodes = document.querySelectorAll("time.age[datetime]");
    if (skew === null) {
      var stamp = document.querySelector("meta[name=server-time]");
      skew = stamp ? Date.parse(stamp.content) - Date.now() : 0;
    }
    nodes.forEach(function (node) {
      var then = Date.parse(node.getAttribute("datetime"));
      if (!isNaN(then)) node.textContent = age(Math.max(0, (Date.now() + skew - then) / 1000));
    });
  }
  setInterval(refreshAges, 30000);

  // --- forms -------------------------------------------------------------------------------------
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.successful && elt && elt.matches && elt.matches("form[data-reset-on-success]")) elt.reset();
  });

  // After an action replaced the block that held the focus (a row, the alert), keep the keyboard there:
  // focus the block's first button (the next action) instead of losing focus to the top of the page.
  var swappedId = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    swappedId = target && target.id && active && target.contains(active) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!swappedId) return;
    var block = document.getElementById(swappedId);
    swappedId = null;
    var active = document.activeElement;
    if (!block || (active && active !== document.body && document.body.contains(active))) return;
    var next = block.querySelector("button, a[href], [tabindex='0']");
    if (next) next.focus();
  });

  var toastTimer = null;
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "toast") {
      clearTimeout(toastTimer);
      toastTimer = setTimeout(function () { event.detail.target.innerHTML = ""; }, 6000);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.querySelector("span");
      if (label) { var before = label.textContent; label.textContent = "Copied"; setTimeout(function () { label.textContent = before; }, 2000); }
    });
  });

  // --- push on this device -------------------------------------------------------------------------
  function b64ToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  async function currentSubscription() {
    var registration = await navigator.serviceWorker.ready;
    return registration.pushManager.getSubscription();
  }

  function deviceLabel() {
    var ua = navigator.userAgent;
    var kind = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iPhone" : /Mac/.test(ua) ? "Mac" :
      /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "Browser";
    return kind + " browser";
  }

  async function api(method, url, body) {
    var response = await fetch(url, {
      method: method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      var detail = response.status + "";
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return response.status === 204 ? null : response.json();
  }

  async function subscribe() {
    var permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("notifications are blocked for this site in the browser settings");
    var key = (await api("GET", "/api/push/vapid-public-key")).applicationServerKey;
    var registration = await navigator.serviceWorker.ready;
    var subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) });
    var json = subscription.toJSON();
    await api("POST", "/api/users/me/push-subscriptions", {
      endpoint: json.endpoint, expirationTime: json.expirationTime || null, keys: json.keys, label: deviceLabel(),
    });
  }

  async function unsubscribe() {
    var subscription = await currentSubscription();
    if (!subscription) return;
    try {
      await api("DELETE", "/api/users/me/push-subscriptions", { endpoint: subscription.endpoint });
    } catch (e) { /* already gone on the server */ }
    await subscription.unsubscribe();
  }

  async function showPushState(box) {
    var text = box.querySelector("[data-push-text]");
    var on = box.querySelector("[data-push-on]");
    var off = box.querySelector("[data-push-off]");
    var dot = box.querySelector(".status-dot");
    if (!pushSupported()) {
      text.textContent = "This browser cannot receive push notifications. On iPhone, add tocsin to the home screen first.";
      on.hidden = off.hidden = true;
      return;
    }
    var subscription = await currentSubscription();
    var enabled = !!subscription && Notification.permission === "granted";
    text.textContent = enabled ? "Push notifications are on for this device." : "Push notifications are off for this device.";
    dot.classList.toggle("on", enabled);
    on.hidden = enabled;
    off.hidden = !enabled;
  }

  function pushBox(box) {
    var message = box.querySelector("[data-push-message]");
    async function run(action) {
      message.textContent = "";
      try {
        await action();
        window.location.reload();
      } catch (err) {
        message.textContent = "That did not work: " + (err && err.message ? err.message : err);
      }
      showPushState(box);
    }
    box.querySelector("[data-push-on]").addEventListener("click", function () { run(subscribe); });
    box.querySelector("[data-push-off]").addEventListener("click", function () { run(unsubscribe); });
    showPushState(box);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-push]").forEach(pushBox);
    refreshAges();
  });

  // Logging out: this device stops receiving pushes for the account, and its cached pages are dropped.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-logout]") || form.dataset.done) return;
    event.preventDefault();
    form.dataset.done = "1";
    var cleanup = [];
    if (pushSupported()) cleanup.push(unsubscribe().catch(function () {}));
    if (window.caches) cleanup.push(caches.delete("tocsin-pages"));
    Promise.all(cleanup).finally(function () { form.submit(); });
  });
})();

/* tocsin service worker: push notifications with Accept / Resolve buttons, and the last alert list offline. */
"use strict";

const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const STATIC_CACHE = "tocsin-static-" + VERSION;
const PAGE_CACHE = "tocsin-pages";
const LIST_KEY = "/alerts";  // the last alert list, whatever its filter
const LABELS = { accept: "Accept", resolve: "Resolve" };
const DONE = { accept: "Accepted", resolve: "Resolved" };

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("tocsin-static-") && name !== STATIC_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// --- offline: the last alert list ----------------------------------------------------------------

function isAlertList(url) {
  return url.origin === self.location.origin && url.pathname === "/alerts";
}

async function markedOffline(response) {
  const html = await response.text();
  return new Response(html.replace("<body ", "<body data-offline "), {
    status: 200, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

async function alertList(request) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) {
      const cache = await caches.open(PAGE_CACHE);
      await cache.put(LIST_KEY, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await (await caches.open(PAGE_CACHE)).match(LIST_KEY);
    if (cached) return markedOffline(cached);
    return new Response("<!doctype html><meta name=viewport content='width=device-width'><title>Offline</title>" +
      "<p style='font:1.1rem system-ui;padding:24px'>You are offline and no alert list was saved on this device yet.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

async function staticAsset(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC_CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isAlertList(url)) {
    event.respondWith(alertList(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticAsset(request));
  }
});

// --- push ----------------------------------------------------------------------------------------

function notificationFor(data) {
  const options = {
    body: data.body || "",
    data: data,
    icon: ASSETS.find((a) => a.includes("icon-192")),
    badge: ASSETS.find((a) => a.includes("icon-192")),
    timestamp: Date.now(),
  };
  if (data.alertId) {
    options.tag = "alert-" + data.alertId;
    options.renotify = data.type === "alert";
  }
  if (data.type === "alert" && data.state === "PENDING") {
    options.requireInteraction = data.priority === "HIGH";
    options.actions = (data.actions || []).filter((a) => LABELS[a.action]).map((a) => ({ action: a.action, title: LABELS[a.action] }));
  }
  return { title: data.title || "tocsin", options: options };
}

self.addEventListener("push", (event) => {
  let data;
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { title: "tocsin", body: event.data ? event.data.text() : "" };
  }
  const { title, options } = notificationFor(data);
  event.waitUntil(self.registration.showNotification(title, options));
});

function pageFor(data) {
  if (data.kind === "coverage-request" || data.type === "coverage-request" || data.type === "coverage") {
    const id = data.coverageRequestId || data.id;
    if (id) return "/coverage-requests/" + encodeURIComponent(id);
  }
  if (data.url) {
    try {
      const target = new URL(data.url, self.location.origin);
      if (target.origin === self.location.origin) return target.pathname + target.search;
      return target.pathname;  // the server's public address differs from the one the app was opened at
    } catch (err) { /* fall through */ }
  }
  return data.alertId ? "/alerts/" + data.alertId : "/alerts";
}

async function openPage(path) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    try {
      await client.focus();
    } catch (err) {
      // Focusing needs the user's click on the notification; the app is still taken to the page.
    }
    if ("navigate" in client) {
      try {
        return await client.navigate(path);
      } catch (err) {
        // Not a page this worker controls: open a new window instead.
      }
    }
  }
  return self.clients.openWindow(path);
}

// Accept or Resolve from the notification itself: the payload's signed token, no app, no login.
async function act(notification, action) {
  const data = notification.data || {};
  const grant = (data.actions || []).find((a) => a.action === action);
  if (!grant) return openPage(pageFor(data));
  let title, body;
  try {
    const response = await fetch("/api/actions/" + encodeURIComponent(grant.token), { method: "POST", credentials: "omit" });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      title = DONE[action] + ": #" + data.alertId;
      body = data.summary || "";
    } else {
      title = "Could not " + action + " #" + data.alertId;
      body = answer.detail || ("The server answered " + response.status);
    }
  } catch (err) {
    title = "Could not " + action + " #" + data.alertId;
    body = "No connection. Open tocsin to try again.";
  }
  notification.close();
  return self.registration.showNotification(title, {
    body: body, tag: "alert-" + data.alertId, data: { alertId: data.alertId, url: data.url, type: "result" },
    icon: ASSETS.find((a) => a.includes("icon-192")), silent: true,
  });
}

function handleNotificationClick(notification, action) {
  if (action === "accept" || action === "resolve") return act(notification, action);
  notification.close();
  return openPage(pageFor(notification.data || {}));
}

self.addEventListener("notificationclick", (event) => {
  const done = handleNotificationClick(event.notification, event.action);
  try {
    event.waitUntil(done);
  } catch (err) {
    // An event dispatched by script (not the browser) cannot extend its lifetime; the work still runs.
  }
});

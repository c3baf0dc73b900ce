/* The portal's service worker (blueprints/app_shell.py serves it; docs/offline.md explains it).
 *
 * - Pages: from the network first; a page the portal marks `Portal-Offline: keep` (a citizen's or a public
 *   page, never staff) is kept, and shown again, marked as a copy, when the network fails.
 * - The files those pages need (the list below, Leaflet, the fonts) are kept under this version's name.
 * - Lodging a complaint: if the form cannot reach the portal, the complaint waits in the phone's outbox
 *   (pwa/outbox.js) and is sent when the signal returns, by the page or by a background sync.
 * Nothing else (the API, photos, tiles, other sites) passes through here.
 */
"use strict";

const PORTAL = {{ settings|tojson }};
importScripts(PORTAL.outbox);

const PAGES = "portal-pages";
const FILES = "portal-files-" + PORTAL.version;
// On a weak signal a page that is kept is shown from the phone after this long; one that is not, waits.
const PATIENCE_MS = 8000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(FILES)
      // The offline page is fetched signed out: it is the same for whoever uses the phone.
      .then((cache) => cache.addAll(PORTAL.keep.concat([new Request(PORTAL.offline, { credentials: "omit" })])))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("portal-files-") && name !== FILES)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return; // map tiles and the like: the browser's own way
  }
  if (request.method === "POST" && request.mode === "navigate" && url.pathname === PORTAL.lodge) {
    event.respondWith(lodgeOrKeep(request));
  } else if (request.method !== "GET") {
    return;
  } else if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/vendor/") || PORTAL.keep.includes(url.pathname)) {
    event.respondWith(file(request));
  }
});

async function page(request) {
  const pages = await caches.open(PAGES);
  const kept = await pages.match(request.url);
  try {
    const response = await withPatience(fetch(request), kept ? PATIENCE_MS : 0);
    if (response.ok && response.headers.get("Portal-Offline") === "keep") {
      await pages.put(request.url, response.clone());
    }
    return response;
  } catch (error) {
    if (kept) {
      return asCopy(kept);
    }
    return (await caches.match(PORTAL.offline)) || Response.error();
  }
}

function withPatience(answer, milliseconds) {
  if (!milliseconds) {
    return answer;
  }
  return Promise.race([
    answer,
    new Promise((resolve, reject) => setTimeout(() => reject(new Error("no answer yet")), milliseconds)),
  ]);
}

// A kept page says it is a copy (pwa/pwa.js shows when it was kept and makes it read-only).
async function asCopy(response) {
  const html = await response.text();
  const kept = (response.headers.get("Date") || "").replace(/[^\w ,:+-]/g, "");
  return new Response(html.replace("<html ", '<html data-offline-copy="' + kept + '" '), {
    headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

async function file(request) {
  const files = await caches.open(FILES);
  const kept = await files.match(request);
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (response.ok) {
    await files.put(request, response.clone()); // the vendor files' addresses carry their version
  }
  return response;
}

// The lodge form sent while the signal failed: the complaint waits on the phone, and the citizen is shown
// the lodge page, which lists what waits.
async function lodgeOrKeep(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    await PortalOutbox.keep(PortalOutbox.fromForm(await copy.formData(), PORTAL.lodge));
    await askForSync();
    return Response.redirect(PORTAL.lodge, 303);
  }
}

async function askForSync() {
  try {
    await self.registration.sync.register(PortalOutbox.SYNC_TAG);
  } catch (error) {
    // No background sync here: the pages send what waits when they open.
  }
}

// Background sync: the browser wakes this worker when the signal returns, even with the portal closed.
self.addEventListener("sync", (event) => {
  if (event.tag === PortalOutbox.SYNC_TAG) {
    event.waitUntil(PortalOutbox.sendAll(null, null).then(tellPages));
  }
});

// Messages from the pages, handled one after the other (the owner is settled before a page is kept).
let turn = Promise.resolve();
function inTurn(work) {
  turn = turn.then(work, work);
  return turn;
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "owner" && typeof message.user === "string") {
    event.waitUntil(inTurn(() => settleOwner(message.user)));
  } else if (message.type === "keep-page" && typeof message.url === "string") {
    // A citizen's page asks for the lodge page to be kept, so it opens without signal even if never opened.
    event.waitUntil(inTurn(() => page(new Request(message.url, { credentials: "same-origin" })).catch(() => null)));
  } else if (message.type === "sync") {
    event.waitUntil(askForSync());
  }
});

// The kept pages belong to one account (or to nobody signed in). Every page says whose it is; when that
// changes — another citizen signed in on this phone without the last one signing out — the copies go.
const OWNER = "/__kept-pages-owner__";
async function settleOwner(user) {
  const pages = await caches.open(PAGES);
  const marker = await pages.match(OWNER);
  if (marker && (await marker.text()) === user) {
    return;
  }
  await caches.delete(PAGES);
  await (await caches.open(PAGES)).put(OWNER, new Response(user));
}

async function tellPages() {
  const pages = await self.clients.matchAll({ type: "window" });
  pages.forEach((client) => client.postMessage({ type: "outbox-changed" }));
}

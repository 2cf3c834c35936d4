// Balai service worker: lets a phone reread pages it has seen after leaving the village Wi-Fi.
// Pages: network first, the last copy when offline, else the offline page.
// Static files (hashed names) and images: cache first.
// What a villager saved on purpose ("Simpan untuk dibaca tanpa internet" on a lesson, see
// elearning_courses/simpan.js) sits in caches of its own that a new version keeps and nothing
// trims; a saved video or audio file is answered from there, byte ranges included.
const VERSION = "{{ version }}";
const PAGES = "balai-pages-" + VERSION;
const ASSETS = "balai-assets-" + VERSION;
const OFFLINE_URL = "{{ offline_url }}";
const PRECACHE = [{% for url in precache %}"{{ url }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
const SAVED = "balai-simpan";
const SAVED_MEDIA = "balai-simpan-media";
const KEPT = [PAGES, ASSETS, SAVED, SAVED_MEDIA];
const MAX_PAGES = 60;
const MAX_ASSETS = 120;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(ASSETS).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => !KEPT.includes(k)).map((k) => caches.delete(k)))
    ).then(() => self.clients.claim())
  );
});

async function trim(cacheName, max) {
  const cache = await caches.open(cacheName);
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - max; i++) await cache.delete(keys[i]);
}

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      await cache.put(request, response.clone());
      trim(PAGES, MAX_PAGES);
      // a saved lesson read again on the Wi-Fi: keep its saved copy fresh too
      const saved = await caches.open(SAVED);
      if (await saved.match(request, { ignoreVary: true })) await saved.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const cached =
      (await cache.match(request, { ignoreVary: true })) ||
      (await caches.match(request, { ignoreVary: true, ignoreSearch: false }));
    if (cached) return cached;
    const offline = await caches.match(OFFLINE_URL, { ignoreVary: true });
    return offline || Response.error();
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.status === 200 && response.type === "basic") {
    const cache = await caches.open(ASSETS);
    await cache.put(request, response.clone());
    trim(ASSETS, MAX_ASSETS);
  }
  return response;
}

// The saved media files' URLs, read from their cache when first needed and again whenever a
// page says it saved or removed one; other media never pass through this worker.
let savedMedia = null;

async function savedMediaUrls() {
  if (savedMedia === null) {
    const cache = await caches.open(SAVED_MEDIA);
    savedMedia = new Set((await cache.keys()).map((r) => r.url));
  }
  return savedMedia;
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "simpan-changed") savedMedia = null;
});

// A byte range of a saved file, as the hub would answer it (one range; 416 past the end).
async function rangeOf(response, range) {
  const blob = await response.blob();
  const size = blob.size;
  const type = response.headers.get("Content-Type") || "application/octet-stream";
  const match = /^bytes=(\d*)-(\d*)$/.exec((range || "").trim());
  if (!match || (match[1] === "" && match[2] === "")) {
    return new Response(blob, {
      status: 200,
      headers: { "Content-Type": type, "Content-Length": String(size), "Accept-Ranges": "bytes" },
    });
  }
  let start;
  let end;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end || (match[1] === "" && Number(match[2]) === 0)) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: {
      "Content-Type": type,
      "Content-Length": String(end - start + 1),
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Accept-Ranges": "bytes",
    },
  });
}

async function savedMediaResponse(request) {
  const cache = await caches.open(SAVED_MEDIA);
  const hit = await cache.match(request.url, { ignoreVary: true });
  if (!hit) return fetch(request);
  return rangeOf(hit, request.headers.get("range"));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/admin/") || url.pathname === "/healthz") return;
  // Video and audio go straight to the network: players ask for byte ranges (a 206 cannot be
  // cached, and a failed put would fail the request), and a video is kept only on request —
  // then it is answered from the saved copy.
  if (request.headers.has("range") || ["video", "audio", "track"].includes(request.destination)) {
    if (savedMedia !== null && !savedMedia.has(url.href)) return;
    event.respondWith(
      savedMediaUrls().then((urls) => (urls.has(url.href) ? savedMediaResponse(request) : fetch(request)))
    );
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/media/")) {
    event.respondWith(cacheFirst(request));
  }
});

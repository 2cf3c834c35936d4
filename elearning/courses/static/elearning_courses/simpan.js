// "Simpan untuk dibaca tanpa internet": keeps this lesson's page, its pictures and stylesheets
// on the phone (Cache Storage, cache "balai-simpan"), and a video or audio file only when its
// own button is pressed (cache "balai-simpan-media"). The hub's service worker (/sw.js) answers
// from these caches when the phone is out of the Wi-Fi, byte ranges of a saved video included.
// Browsers allow this on HTTPS (and 127.0.0.1) only: elsewhere the box says why.
(function () {
  "use strict";
  var box = document.getElementById("simpan-offline");
  if (!box) return;
  var PAGES = "balai-simpan";
  var MEDIA = "balai-simpan-media";
  var text = box.dataset;
  var why = box.querySelector("[data-why]");
  var status = box.querySelector("[data-status]");
  var saveButton = box.querySelector("[data-save]");
  var removeButton = box.querySelector("[data-remove]");
  var mediaButtons = Array.prototype.slice.call(box.querySelectorAll("[data-save-media]"));
  var page = location.pathname;

  function say(message) { status.textContent = message; }

  if (!window.isSecureContext || !("serviceWorker" in navigator) || !("caches" in window)) {
    why.textContent = text.insecure;
    return;
  }
  why.hidden = true;

  function pageAssets() {
    var urls = [page];
    document.querySelectorAll("main img").forEach(function (img) {
      if (img.currentSrc) urls.push(img.currentSrc);
      if (img.getAttribute("src")) urls.push(img.src);
      (img.getAttribute("srcset") || "").split(",").forEach(function (part) {
        var url = part.trim().split(/\s+/)[0];
        if (url) urls.push(new URL(url, location.href).href);
      });
    });
    document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (el) {
      urls.push(el.href || el.src);
    });
    return urls.filter(function (url, i) { return url && urls.indexOf(url) === i; });
  }

  function keep(cacheName, urls) {
    return caches.open(cacheName).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.status !== 200) throw new Error(url + ": " + response.status);
          return cache.put(url, response);
        });
      }));
    });
  }

  function tellWorker() {
    if (navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "simpan-changed" });
    }
  }

  function showSaved(saved) {
    saveButton.hidden = saved;
    removeButton.hidden = !saved;
    mediaButtons.forEach(function (b) { b.hidden = !saved; });
    if (saved) say(text.saved);
  }

  function freeBytes() {
    if (!navigator.storage || !navigator.storage.estimate) return Promise.resolve(Infinity);
    return navigator.storage.estimate().then(function (e) { return (e.quota || 0) - (e.usage || 0); });
  }

  saveButton.addEventListener("click", function () {
    saveButton.disabled = true;
    say(text.saving);
    keep(PAGES, pageAssets()).then(function () {
      showSaved(true);
      tellWorker();
    }, function () {
      say(text.failed);
    }).then(function () { saveButton.disabled = false; });
  });

  removeButton.addEventListener("click", function () {
    var urls = pageAssets().concat(mediaButtons.map(function (b) { return b.dataset.saveMedia; }));
    Promise.all([caches.open(PAGES), caches.open(MEDIA)]).then(function (found) {
      return Promise.all(urls.map(function (url) {
        return Promise.all([found[0].delete(url), found[1].delete(new URL(url, location.href).href)]);
      }));
    }).then(function () {
      showSaved(false);
      mediaButtons.forEach(function (b) { b.disabled = false; });
      say(text.removed);
      tellWorker();
    });
  });

  mediaButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var size = Number(button.dataset.size || 0);
      button.disabled = true;
      freeBytes().then(function (free) {
        if (free < size * 1.2) throw new Error("full");
        say(text.savingMedia);
        return keep(MEDIA, [new URL(button.dataset.saveMedia, location.href).href]);
      }).then(function () {
        say(text.mediaSaved);
        tellWorker();
      }, function (err) {
        button.disabled = false;
        say(err && err.message === "full" ? text.full : text.failed);
      });
    });
  });

  caches.open(PAGES).then(function (cache) { return cache.match(page); }).then(function (hit) {
    showSaved(Boolean(hit));
    return caches.open(MEDIA);
  }).then(function (cache) {
    mediaButtons.forEach(function (button) {
      cache.match(new URL(button.dataset.saveMedia, location.href).href).then(function (hit) {
        if (hit) button.disabled = true;
      });
    });
  });
})();

// Registers the service worker where the browser allows it (HTTPS or localhost); pages work
// the same without it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
}

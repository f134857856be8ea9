// The imports page reloads itself while a job is queued or running, so its status and progress
// stay current without inline script (the page's Content-Security-Policy allows only 'self').
(function () {
  var marker = document.getElementById("refresh");
  if (!marker) return;
  var seconds = Number(marker.getAttribute("data-seconds")) || 2;
  setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();

// Upload page: drag-and-drop or pick a zip, send it to the API with XMLHttpRequest so the
// <progress> bar follows the upload, then go to the submission page. Without this script the
// form posts to the page itself and still works.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = document.getElementById("id_archive");
  var zone = document.getElementById("dropzone");
  var info = document.getElementById("file-info");
  var errorBox = document.getElementById("upload-error");
  var progressBox = document.getElementById("upload-progress");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var button = document.getElementById("upload-button");
  var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
  var chosen = null;

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
  }

  function choose(file) {
    chosen = file || null;
    info.textContent = chosen ? chosen.name + " (" + mb(chosen.size) + ")" : "";
    errorBox.hidden = true;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  input.addEventListener("change", function () { choose(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    var files = event.dataTransfer && event.dataTransfer.files;
    if (files && files.length) choose(files[0]);
  });

  function apiMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && typeof body.message === "string") return body.message;
    } catch (e) { /* not JSON: fall through */ }
    if (xhr.status === 413) return "The archive is larger than the server accepts; remove unneeded files and try again.";
    return "The upload failed (HTTP " + xhr.status + "); check your connection and try again.";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = chosen || input.files[0];
    if (!file) { showError("Choose a zip archive of your predictions first (drop it on the box or use the picker)."); return; }
    if (maxBytes && file.size > maxBytes) { showError("The archive is " + mb(file.size) + "; the limit is " + mb(maxBytes) + "."); return; }
    var data = new FormData();
    data.append("archive", file, file.name);
    ["method_name", "method_description", "declared_parameters"].forEach(function (name) {
      data.append(name, form.elements[name].value);
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.apiUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.floor((e.loaded / e.total) * 100);
      bar.value = pct;
      text.textContent = pct + "% · " + mb(e.loaded) + " of " + mb(e.total);
    };
    xhr.upload.onload = function () { text.textContent = "100% · uploaded; checking the archive…"; };
    xhr.onload = function () {
      if (xhr.status === 201) {
        var body = JSON.parse(xhr.responseText);
        text.textContent = "Uploaded. Opening the submission…";
        window.location.assign("/submissions/" + encodeURIComponent(body.id) + "/");
        return;
      }
      progressBox.hidden = true;
      showError(apiMessage(xhr));
    };
    xhr.onerror = function () { progressBox.hidden = true; showError("The connection was lost during the upload; try again."); };
    errorBox.hidden = true;
    button.disabled = true;
    bar.value = 0;
    text.textContent = "0% · 0.0 MB of " + mb(file.size);
    progressBox.hidden = false;
    xhr.send(data);
  });
})();

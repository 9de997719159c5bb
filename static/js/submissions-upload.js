// Upload page: drag-and-drop or pick a zip; before the archive is sent, the fields go to the
// pre-check (POST .../submissions/check/), whose errors are shown next to their fields in plain
// words, and whose refusal (limit reached) is shown instead of uploading. Then the archive goes to
// the API with XMLHttpRequest so the <progress> bar follows the upload, then to the submission
// page. Without this script the form posts to the page itself and still works.
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
  var checkUrl = form.dataset.checkUrl;
  var FIELDS = ["method_name", "method_description", "declared_parameters"];
  var chosen = null;

  function fieldError(name, message) {
    var node = document.getElementById("error-" + name);
    if (!node) return;
    node.textContent = message || "";
    node.hidden = !message;
    var field = name === "archive" ? input : form.elements[name];
    if (!field) return;
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }

  function precheck(file) {
    var body = {};
    FIELDS.forEach(function (name) { body[name] = form.elements[name].value; });
    if (file) body.archive_size = file.size;
    return fetch(checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, body: data }; });
    });
  }

  // A field is checked as soon as it is left, so its error shows before the file is even chosen.
  FIELDS.forEach(function (name) {
    form.elements[name].addEventListener("change", function () {
      if (!checkUrl) return;
      precheck(null).then(function (result) {
        if (result.status === 200) fieldError(name, result.body.errors[name] || "");
      }).catch(function () { /* the check on submit will tell */ });
    });
  });

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
    fieldError("archive", "");
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

  function send(file) {
    var data = new FormData();
    data.append("archive", file, file.name);
    FIELDS.forEach(function (name) { data.append(name, form.elements[name].value); });
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
    // The server now reads the zip's directory: file names against the ground truth's, PNG sizes.
    xhr.upload.onload = function () { text.textContent = "100% · uploaded; checking the file names and image sizes…"; };
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
    bar.value = 0;
    text.textContent = "0% · 0.0 MB of " + mb(file.size);
    progressBox.hidden = false;
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = chosen || input.files[0];
    errorBox.hidden = true;
    FIELDS.concat(["archive"]).forEach(function (name) { fieldError(name, ""); });
    if (maxBytes && file && file.size > maxBytes) {
      fieldError("archive", "The archive is " + mb(file.size) + "; the limit is " + mb(maxBytes) + ".");
    }
    button.disabled = true;
    var checked = checkUrl ? precheck(file) : Promise.resolve({ status: 0, body: null });
    checked.then(function (result) {
      var body = result.body;
      if (result.status !== 200 || !body) {
        // No verdict (e.g. an old page): the upload itself checks everything again.
        if (!file) { showError("Choose a zip archive of your predictions first (drop it on the box or use the picker)."); return; }
        send(file);
        return;
      }
      var names = Object.keys(body.errors);
      names.forEach(function (name) { fieldError(name === "archive_size" ? "archive" : name, body.errors[name]); });
      if (!file) fieldError("archive", "Choose the zip archive of your predictions (drop it on the box or use the picker).");
      if (body.refusal) { showError(body.refusal.message); return; }
      if (names.length || !file) {
        showError("Please correct the fields marked below; nothing was sent.");
        var first = form.querySelector("[aria-invalid=true]");
        if (first) first.focus();
        return;
      }
      send(file);
    }).catch(function () {
      if (file) send(file); else showError("Choose a zip archive of your predictions first (drop it on the box or use the picker).");
    });
  });
})();

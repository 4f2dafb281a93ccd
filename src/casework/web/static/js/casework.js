/* Casework: small progressive enhancement, no framework.
 *
 * A form marked data-enhance="#selector" is posted with fetch instead of a full page load; the
 * server answers with the HTML of the element to replace (the same partial it renders into the
 * full page), on success or with the errors next to the fields and the values as typed. Without
 * JavaScript the same forms post normally and the server redirects back.
 * The CSRF token travels in the X-CSRF-Token header (and in the form's hidden field).
 */
(function () {
  "use strict";

  function csrfToken() {
    return document.body.getAttribute("data-csrf") || "";
  }

  function announce(text) {
    var live = document.getElementById("live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  /* The server percent-encodes the message: a header holds Latin-1 only, a message any text. */
  function decodedMessage(response) {
    var raw = response.headers.get("x-casework-message");
    if (!raw) return "";
    try { return decodeURIComponent(raw); } catch (e) { return raw; }
  }

  function focusAfterSwap(element) {
    var invalid = element.querySelector("[aria-invalid='true'], .error-summary");
    var target = invalid || element.querySelector("[data-focus-after-update]") || element;
    if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  function swap(selector, html) {
    var old = document.querySelector(selector);
    if (!old) { window.location.reload(); return null; }
    var holder = document.createElement(old.tagName === "TR" ? "tbody" : "div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) { old.remove(); return null; }
    old.replaceWith(fresh);
    return fresh;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-enhance")) return;
    // getAttribute, not form.action/form.method: a field named "action" would shadow them.
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || !window.fetch) return;
    event.preventDefault();
    var selector = form.getAttribute("data-enhance");
    var button = event.submitter || form.querySelector("[type=submit]");
    var body = new URLSearchParams(new FormData(form));
    if (button && button.name) body.append(button.name, button.value);
    if (button) button.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": csrfToken(),
        "X-Requested-With": "fetch",
        "Accept": "text/html"
      }
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/signin?next=" + encodeURIComponent(window.location.pathname));
        return null;
      }
      var type = response.headers.get("content-type") || "";
      return response.text().then(function (text) {
        if (type.indexOf("text/html") === -1) {
          var detail = text;
          try { detail = JSON.parse(text).detail || text; } catch (e) { /* plain text */ }
          window.alert(detail);
          return;
        }
        var target = response.headers.get("x-casework-target") || selector;
        var fresh = swap(target, text);
        if (fresh) {
          focusAfterSwap(fresh);
          if (response.ok) {
            fresh.classList.add("flash-ok");
            window.setTimeout(function () { fresh.classList.remove("flash-ok"); }, 1600);
          }
        }
        announce(decodedMessage(response) || (response.ok ? "Saved." : "Not saved: see the errors."));
        document.dispatchEvent(new CustomEvent("casework:updated", { detail: { target: target, ok: response.ok } }));
      });
    }).catch(function () {
      window.alert("Casework could not be reached. Nothing was lost: check the connection and submit again.");
    }).finally(function () {
      if (button) button.removeAttribute("aria-busy");
    });
  });

  /* Filter forms marked data-autosubmit submit themselves when a choice changes. */
  document.addEventListener("change", function (event) {
    var control = event.target;
    var form = control && control.form;
    if (form && form.hasAttribute("data-autosubmit") && control.tagName === "SELECT") {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });

  /* A confirmation for irreversible actions: <button data-confirm="text">. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();

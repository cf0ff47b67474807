// navette — passkeys: adding one on the account page, and signing in with
// one (as the second factor, or alone where the platform allows it). The
// server makes and keeps the challenge; this script only hands its options
// to the browser and the browser's answer back. No inline code.
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function toB64u(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function fromB64u(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) { s += '='; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function post(url, body) {
    var headers = { 'Content-Type': 'application/json', 'Accept': 'application/json' };
    if (csrf) { headers['X-CSRF-Token'] = csrf; }
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(body || {}) })
      .catch(function () {
        var e = new Error('unanswered');
        e.unanswered = true;
        throw e;
      })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (j) {
          if (!res.ok) {
            var e = new Error(j.detail || res.statusText);
            e.server = true;
            e.code = j.code || '';
            throw e;
          }
          return j;
        });
      });
  }

  function creationOptions(o) {
    o.challenge = fromB64u(o.challenge);
    o.user.id = fromB64u(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
    return o;
  }
  function requestOptions(o) {
    o.challenge = fromB64u(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = fromB64u(c.id); });
    return o;
  }
  function answer(c) {
    var r = c.response;
    var out = {
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64u(r.clientDataJSON) }
    };
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64u(r.userHandle); }
    }
    return out;
  }

  function setUp(box) {
    var button = box.querySelector('[data-start]');
    var problem = box.querySelector('[role="alert"]');
    var nameInput = box.querySelector('input[name="name"]');
    var kind = box.getAttribute('data-passkey');

    function show(text) {
      problem.querySelector('p').textContent = text;
      problem.hidden = false;
      problem.setAttribute('tabindex', '-1');
      problem.focus();
    }

    // relist reads the page again and puts its list of passkeys in place
    // of this one's; it reports whether it could.
    function relist() {
      var id = box.getAttribute('data-list');
      var here = id && document.getElementById(id);
      if (!here) { return Promise.resolve(false); }
      return fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (res) { return res.ok ? res.text() : ''; })
        .then(function (html) {
          var there = new DOMParser().parseFromString(html, 'text/html').getElementById(id);
          if (!there) { return false; }
          here.innerHTML = there.innerHTML;
          return true;
        })
        .catch(function () { return false; });
    }

    // unanswered says that the platform did not answer the browser's
    // answer: a new passkey may be saved, a sign-in may have happened.
    function unanswered() {
      if (kind !== 'register') { show(box.getAttribute('data-unanswered')); return; }
      relist().then(function (done) {
        show(box.getAttribute(done ? 'data-relisted' : 'data-unanswered'));
      });
    }

    if (!supported) {
      show(box.getAttribute('data-unsupported'));
      button.disabled = true;
      return;
    }

    button.addEventListener('click', function () {
      problem.hidden = true;
      var name = nameInput ? nameInput.value.trim() : '';
      if (nameInput && !name) { nameInput.reportValidity(); return; }
      button.disabled = true;
      var id = '', finishing = false;
      post(box.getAttribute('data-options'))
        .then(function (c) {
          id = c.id;
          var opts = c.options;
          if (kind === 'register') {
            return navigator.credentials.create({ publicKey: creationOptions(opts.publicKey || opts) });
          }
          return navigator.credentials.get({ publicKey: requestOptions(opts.publicKey || opts) });
        })
        .then(function (cred) {
          if (!cred) { throw new Error(box.getAttribute('data-cancelled')); }
          finishing = true;
          return post(box.getAttribute('data-finish'), { id: id, name: name, credential: answer(cred) });
        })
        .then(function (res) {
          // After a step-up asked for by a form, the form comes back
          // filled, to be sent again with one press (never on its own).
          var resume = kind === 'stepup' && box.querySelector('form[data-resume]');
          if (resume) { resume.submit(); return; }
          window.location.assign(res.next);
        })
        .catch(function (e) {
          button.disabled = false;
          if (e && e.code === 'step_up_required') {
            // The confirmation of identity went stale on this page: the
            // account page asks for it again.
            window.location.assign('/account');
            return;
          }
          if (e && e.unanswered && finishing) { unanswered(); return; }
          show(e && e.server ? e.message : box.getAttribute('data-cancelled'));
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-passkey]'), setUp);
}());

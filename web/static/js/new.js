// navette — new deposit: recipient picker, file checks, resumable uploads
// (tus), progress, submission. One press of "Envoyer" creates the draft,
// uploads the files and submits the deposit once the last one is stored;
// a reload resumes it. Loaded only on /new; no inline code.
(function () {
  'use strict';

  var form = document.getElementById('deposit-form');
  if (!form || !window.tus) { return; }

  var M = JSON.parse(document.getElementById('messages').textContent || '{}');
  function msg(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    return (M[key] || key).replace(/\{(\d+)\}/g, function (_, i) { return String(args[+i]); });
  }
  function one(n) { return new Intl.PluralRules(lang === 'en' ? 'en' : 'fr').select(n) === 'one'; }
  // msgN is msg for a text that counts n: KEY.one or KEY.other, by the
  // language's plural rule; n is also {0} unless more arguments follow.
  function msgN(key, n) {
    var args = Array.prototype.slice.call(arguments, 2);
    if (!args.length) { args = [n]; }
    return msg.apply(null, [key + (one(n) ? '.one' : '.other')].concat(args));
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var lang = form.getAttribute('data-lang') || 'fr';
  var maxSize = Number(form.getAttribute('data-max-file-size'));
  var maxFiles = Number(form.getAttribute('data-max-files'));
  var maxRecipients = Number(form.getAttribute('data-max-recipients'));
  var userId = form.getAttribute('data-user');
  var draftKey = 'navette-draft-' + userId;
  // sendKey holds the id of the draft whose sending was asked: it is
  // submitted on its own once its files are stored, after a reload too.
  var sendKey = 'navette-send-' + form.getAttribute('data-user');
  // creatingKey holds the creation of a draft on its way: its body and
  // the idempotency key it is sent with, kept (in the tab's session
  // storage: storeOf) before it goes, so that a reload, or a press again
  // of "Envoyer" with the same fields, gets the draft it made rather than
  // a second one.
  var creatingKey = 'navette-creating-' + form.getAttribute('data-user');

  var $ = function (id) { return document.getElementById(id); };
  var problem = $('problem'), resumeBox = $('resume'), live = $('live');
  var input = $('recipient-input'), options = $('recipient-options'), chips = $('recipients'), pickStatus = $('recipient-status');
  var reference = $('reference'), message = $('message'), retention = $('retention'), maxDownloads = $('max-downloads'), fromSpace = $('from-space');
  var fileInput = $('files'), dropzone = $('dropzone'), fileList = $('file-list');
  var total = $('total'), totalBar = $('total-progress'), totalText = $('total-text');
  var sendBtn = $('send'), sendLabel = sendBtn.textContent;

  var recipients = [];   // {email, label}
  var entries = [];      // one per file
  var depositId = '';
  var locked = false;     // the draft's fields are sent, or on their way: no more changes
  var busy = false;
  var sending = false;    // "Envoyer" was pressed: submit when every file is stored
  var submitting = false;

  // ---- formatting ----
  function size(n) {
    var units = lang === 'en' ? ['bytes', 'kB', 'MB', 'GB', 'TB'] : ['octets', 'ko', 'Mo', 'Go', 'To'];
    if (n < 1000) { return n + '\u00a0' + units[0].replace(/s$/, '') + (one(n) ? '' : 's'); }
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    var s = n >= 100 ? n.toFixed(0) : n.toFixed(1).replace(/\.0$/, '');
    if (lang !== 'en') { s = s.replace('.', ','); }
    return s + '\u00a0' + units[i];
  }
  function duration(sec) {
    if (!isFinite(sec) || sec < 0) { return ''; }
    sec = Math.ceil(sec);
    if (sec < 60) { return msg('seconds', sec); }
    if (sec < 3600) { return msg('minutes', Math.ceil(sec / 60)); }
    return msg('hours', Math.floor(sec / 3600), Math.round((sec % 3600) / 60));
  }
  function percent(done, all) { return all > 0 ? Math.floor(done * 100 / all) : 100; }

  // ---- messages ----
  function showProblem(lines) {
    if (!lines || !lines.length) { problem.hidden = true; problem.textContent = ''; return; }
    problem.textContent = '';
    var ul = document.createElement('ul');
    lines.forEach(function (l) { var li = document.createElement('li'); li.textContent = l; ul.appendChild(li); });
    problem.appendChild(ul);
    problem.hidden = false;
    problem.focus();
  }
  function announce(text) { live.textContent = text; }

  // renewing is the renewal of the page's CSRF token under way, if any.
  var renewing = null;
  var stopped = false;    // another person signed in since the page was opened: it no longer acts
  // renewToken resolves once the page holds the CSRF token of the session
  // the browser has now, if it is still the page's person's: signed in
  // again in another tab, they go on. If another person signed in since,
  // the page stops (it never acts as them) and it rejects with why; if
  // nobody answers, or nobody is signed in, it rejects.
  function renewToken() {
    if (!renewing) {
      renewing = fetch('/api/v1/me', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } }).then(function (res) {
        return res.ok ? res.json() : null;
      }, function () { return null; }).then(function (me) {
        renewing = null;
        if (me && me.id === userId && me.session && me.session.csrf) {
          csrf = me.session.csrf;
          if (meta) { meta.setAttribute('content', csrf); }
          return;
        }
        if (me && me.id) { stop(); }
        throw new Error(me && me.id ? msg('otherPerson') : '');
      });
    }
    return renewing;
  }
  // stop makes the page inert for good, saying why: another person signed
  // in since it was opened.
  function stop() {
    if (stopped) { return; }
    stopped = true;
    entries.forEach(function (e) { if (e.upload) { e.upload.abort(); e.upload = null; } });
    stopSending();
    setLocked(true);
    update();
    showProblem([msg('otherPerson')]);
  }
  var foreignForm = 'tag:navette,2026:problem:foreign_form';

  function api(method, path, body, key, renewed) {
    var init = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf } };
    if (key) { init.headers['Idempotency-Key'] = '"' + key + '"'; }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(null, function () {
      // No answer (the network, or the server, down): the browser's own
      // words would be in its language, not the page's.
      throw new Error(msg('unreachable'));
    }).then(function (res) {
      var ct = res.headers.get('Content-Type') || '';
      var parse = ct.indexOf('json') >= 0 ? res.json() : Promise.resolve({});
      return parse.then(function (j) {
        if (res.ok) { return j; }
        if (res.status === 403 && j && j.type === foreignForm && !renewed) {
          // The person signed in again in another tab: the page's token
          // is the session's before.
          return renewToken().then(function () { return api(method, path, body, key, true); }, function (err) {
            if (err.message) { throw err; }
            return api(method, path, body, key, true);
          });
        }
        return said(j && j.code, j && (j.detail || j.title)).then(function (text) {
          var e = new Error(text || (msg('httpError') + ' ' + res.status));
          e.status = res.status;
          e.type = j && j.type;
          throw e;
        });
      });
    });
  }
  // said resolves to the API's refusal (its problem's code and detail, in
  // English) as the web says it in the page's language, or to the detail
  // as it is if the web cannot say it.
  function said(code, detail) {
    if (!detail) { return Promise.resolve(''); }
    var q = '?code=' + encodeURIComponent(code || '') + '&detail=' + encodeURIComponent(detail);
    return fetch('/new/problem' + q, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } }).then(function (res) {
      return res.ok ? res.json() : {};
    }).then(function (j) { return j.detail || detail; }, function () { return detail; });
  }

  // ---- recipient picker ----
  var found = [], active = -1, timer = 0, seq = 0;
  function closeOptions() {
    options.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }
  function describe(r) {
    var parts = [r.email];
    var where = r.service || (r.court && (r.court.name || r.court)) || r.org;
    if (where) { parts.push(where); }
    if (r.kind) { parts.push(r.kind); } else if (r.role === 'service') { parts.push(msg('serviceMailbox')); }
    return parts.join(' · ');
  }
  function renderOptions() {
    options.textContent = '';
    found.forEach(function (r, i) {
      var li = document.createElement('li');
      li.id = 'recipient-option-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === active ? 'true' : 'false');
      var name = document.createElement('span');
      name.textContent = r.name || r.email;
      var hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = describe(r);
      li.appendChild(name);
      li.appendChild(hint);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); });
      li.addEventListener('click', function () { choose(r); });
      options.appendChild(li);
    });
    if (found.length) {
      options.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      if (active >= 0) { input.setAttribute('aria-activedescendant', 'recipient-option-' + active); }
    } else {
      closeOptions();
    }
  }
  function search() {
    var q = input.value.trim();
    if (q.length < 2) { found = []; renderOptions(); return; }
    var mine = ++seq;
    api('GET', '/api/v1/recipients?q=' + encodeURIComponent(q)).then(function (j) {
      if (mine !== seq) { return; }
      var list = Array.isArray(j) ? j : (j.recipients || j.users || []);
      found = list.filter(function (r) { return r && r.email && !recipients.some(function (x) { return x.email === r.email; }); }).slice(0, 10);
      active = found.length ? 0 : -1;
      renderOptions();
      pickStatus.textContent = found.length ? msgN('suggestions', found.length) : msg('noSuggestion');
    }).catch(function () {
      if (mine !== seq) { return; }
      found = [];
      renderOptions();
      pickStatus.textContent = msg('searchFailed');
    });
  }
  function choose(r) {
    // A search typed before, still on its way or waiting, is no more
    // wanted: its late answer would reopen the list, an Enter pressed
    // then choosing one more recipient.
    clearTimeout(timer);
    seq++;
    if (recipients.length >= maxRecipients) { showProblem([msg('tooManyRecipients', maxRecipients)]); return; }
    var email = String(r.email).trim().toLowerCase();
    if (!recipients.some(function (x) { return x.email === email; })) {
      recipients.push({ email: email, label: r.name ? r.name + ' <' + email + '>' : email });
      renderChips();
      announce(msg('recipientAdded', r.name || email));
    }
    input.value = '';
    found = [];
    closeOptions();
    input.focus();
  }
  function renderChips() {
    chips.textContent = '';
    recipients.forEach(function (r, i) {
      var li = document.createElement('li');
      var label = document.createElement('span');
      label.textContent = r.label;
      li.appendChild(label);
      if (!locked) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = '\u00d7';
        b.setAttribute('aria-label', msg('removeRecipient', r.label));
        b.addEventListener('click', function () {
          recipients.splice(i, 1);
          renderChips();
          announce(msg('recipientRemoved', r.label));
          input.focus();
        });
        li.appendChild(b);
      }
      chips.appendChild(li);
    });
  }
  function looksLikeEmail(s) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s); }
  input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener('blur', function () { setTimeout(closeOptions, 150); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!found.length) { return; }
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : found.length - 1)) % found.length;
      renderOptions();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (!options.hidden && active >= 0) { choose(found[active]); } else if (looksLikeEmail(input.value.trim())) { choose({ email: input.value.trim() }); }
    } else if (e.key === 'Escape') {
      closeOptions();
    }
  });

  // ---- files ----
  function addFiles(list) {
    var refused = [];
    Array.prototype.forEach.call(list, function (f) {
      var waiting = entries.filter(function (x) { return !x.file && !x.done && x.name === f.name && x.size === f.size; })[0];
      if (waiting) {
        waiting.file = f;
        if (depositId) { start(waiting); }
        return;
      }
      if (entries.some(function (x) { return x.file && x.name === f.name && x.size === f.size && x.file.lastModified === f.lastModified; })) {
        refused.push(msg('duplicate', f.name));
        return;
      }
      if (f.size > maxSize) { refused.push(msg('tooBig', f.name, size(f.size), size(maxSize))); return; }
      if (entries.length >= maxFiles) { refused.push(msg('tooMany', f.name, maxFiles)); return; }
      var e = makeEntry(f.name, f.size);
      e.file = f;
      if (depositId) { start(e); }
    });
    showProblem(refused);
    update();
  }
  function makeEntry(name, bytes) {
    var e = { name: name, size: bytes, sent: 0, done: false, file: null, upload: null, samples: [], error: '' };
    e.li = document.createElement('li');
    var n = document.createElement('span');
    n.className = 'name';
    n.textContent = name;
    var s = document.createElement('span');
    s.textContent = size(bytes);
    e.bar = document.createElement('progress');
    e.bar.max = Math.max(bytes, 1);
    e.bar.value = 0;
    e.bar.setAttribute('aria-label', msg('progressOf', name));
    e.status = document.createElement('span');
    e.status.className = 'status';
    e.status.textContent = msg('waiting');
    e.li.appendChild(n);
    e.li.appendChild(s);
    e.li.appendChild(e.bar);
    e.li.appendChild(e.status);
    e.remove = document.createElement('button');
    e.remove.type = 'button';
    e.remove.className = 'linkish';
    e.remove.textContent = msg('remove');
    e.remove.setAttribute('aria-label', msg('removeFile', name));
    e.remove.addEventListener('click', function () { removeEntry(e); });
    e.li.appendChild(e.remove);
    fileList.appendChild(e.li);
    entries.push(e);
    return e;
  }
  // removals are the deletions of removed files' uploads still on their
  // way: a submission waits for them, or the server, still holding a
  // refused file removed a moment before, would refuse it again.
  var removals = [];
  function removeEntry(e) {
    var gone = null;
    if (e.upload) {
      gone = e.upload.abort(true);
    } else if (e.url) {
      gone = tus.Upload.terminate(e.url, { headers: { 'X-CSRF-Token': csrf } });
    }
    if (gone) {
      var settled = gone.catch(function () {}).then(function () { removals.splice(removals.indexOf(settled), 1); });
      removals.push(settled);
    }
    entries.splice(entries.indexOf(e), 1);
    e.li.remove();
    announce(msg('fileRemoved', e.name));
    update();
    fileInput.focus();
  }
  fileInput.addEventListener('change', function () { addFiles(fileInput.files); fileInput.value = ''; });
  ['dragenter', 'dragover'].forEach(function (t) {
    dropzone.addEventListener(t, function (e) { e.preventDefault(); dropzone.classList.add('is-over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    dropzone.addEventListener(t, function () { dropzone.classList.remove('is-over'); });
  });
  dropzone.addEventListener('drop', function (e) {
    e.preventDefault();
    // While the submission is on its way, a file added would race it, as
    // the file input (disabled then) says.
    if (submitting) { return; }
    if (e.dataTransfer && e.dataTransfer.files) { addFiles(e.dataTransfer.files); }
  });

  // ---- tus: upload URLs kept without the file names ----
  var storePrefix = 'navette-tus::';
  var urlStorage = {
    findAllUploads: function () { return Promise.resolve(scan(storePrefix)); },
    findUploadsByFingerprint: function (fp) { return Promise.resolve(scan(storePrefix + fp + '::')); },
    removeUpload: function (key) { localStorage.removeItem(key); return Promise.resolve(); },
    addUpload: function (fp, up) {
      var key = storePrefix + fp + '::' + Math.random().toString(36).slice(2);
      localStorage.setItem(key, JSON.stringify({ size: up.size, creationTime: up.creationTime, uploadUrl: up.uploadUrl }));
      return Promise.resolve(key);
    }
  };
  function scan(prefix) {
    var out = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(prefix) === 0) {
        try { var v = JSON.parse(localStorage.getItem(k)); v.urlStorageKey = k; v.metadata = {}; out.push(v); } catch (err) { localStorage.removeItem(k); }
      }
    }
    return out;
  }

  // fingerprint names a file's upload in localStorage by a digest, so the
  // browser's storage keeps no file name (without WebCrypto, outside a
  // secure context, by the file's size and date alone).
  function fingerprint(file) {
    var fp = ['navette', depositId, file.name, file.size, file.lastModified].join('/');
    if (!window.crypto || !crypto.subtle || !window.TextEncoder) {
      return Promise.resolve(['navette', depositId, file.size, file.lastModified].join('/'));
    }
    return crypto.subtle.digest('SHA-256', new TextEncoder().encode(fp)).then(function (d) {
      return Array.prototype.map.call(new Uint8Array(d), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    });
  }

  function start(e) {
    if (e.upload || e.done || !e.file) { return; }
    e.error = '';
    e.li.classList.remove('is-error');
    e.remove.hidden = true;
    var opts = {
      endpoint: '/api/v1/uploads/',
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
      onShouldRetry: shouldRetry,
      metadata: { deposit: depositId, filename: e.name },
      onBeforeRequest: function (req) { req.setHeader('X-CSRF-Token', csrf); },
      urlStorage: urlStorage,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: fingerprint,
      onProgress: function (sent) { progress(e, sent); },
      onSuccess: function () {
        e.done = true;
        e.sent = e.size;
        e.bar.value = e.bar.max;
        e.li.classList.add('is-done');
        e.status.textContent = msg('stored');
        announce(msg('fileStored', e.name));
        update();
      },
      onError: function (err) {
        if (e.upload && e.upload.url) { e.url = e.upload.url; }
        e.upload = null;
        stopSending();
        var p = err && err.originalResponse ? parseProblem(err.originalResponse.getBody()) : {};
        e.error = msg('uploadFailed');
        e.li.classList.add('is-error');
        e.status.textContent = e.error;
        e.remove.hidden = false;
        update();
        // The upload API refuses in English: the file's status says it
        // in the page's language, as the web says it.
        said(p.code, p.detail).then(function (text) {
          if (text && e.error === msg('uploadFailed')) { e.error = text; e.status.textContent = text; }
          announce(msg('fileFailed', e.name));
        });
      }
    };
    if (e.url) { opts.uploadUrl = e.url; }
    e.upload = new tus.Upload(e.file, opts);
    e.status.textContent = msg('starting');
    e.upload.findPreviousUploads().then(function (prev) {
      if (prev.length && !e.url) { e.upload.resumeFromPreviousUpload(prev[0]); }
      e.upload.start();
    });
    update();
  }
  // shouldRetry is tus's rule (retry what is not the client's fault,
  // while online) with what each refusal calls for, so that none leaves
  // the file saying nothing for a minute of retries:
  // - 507, a full storage, will not free itself within the retries: it
  //   is shown at once, and "Envoyer" tries again;
  // - 409 for an offset that is not the server's is tus's own resumption:
  //   retried at once (a HEAD gives the offset), once since the upload
  //   last moved; any other 409 is shown at once: another connection (a
  //   tab) took the upload over, and retrying would take it back from it
  //   in turn, or the upload is complete, or the deposit no longer a
  //   draft, which no retry changes;
  // - 423, the upload held by another request, may free itself: retried
  //   twice (at once, then after a second), then shown.
  // - 403 for the token of the session before (the person signed in again
  //   in another tab) is retried with the session's token, once the page
  //   holds it (renewToken), up to three times.
  // attempt counts the retries since the upload last moved.
  function shouldRetry(err, attempt) {
    var res = err && err.originalResponse;
    var s = res ? res.getStatus() : 0;
    if (navigator.onLine === false || stopped) { return false; }
    if (s === 403 && parseProblem(res.getBody()).type === foreignForm) {
      renewToken().catch(function () {});
      return attempt < 3;
    }
    if (s === 409) { return attempt === 0 && offsetConflict(res.getBody()); }
    if (s === 423) { return attempt < 2; }
    return s !== 507 && (s < 400 || s >= 500);
  }
  // offsetConflict reports whether body, a 409's, says the upload is at
  // another offset than the one sent: its problem type, whatever the
  // words of its detail (the server's or tusd's, both typed).
  function offsetConflict(body) {
    return parseProblem(body).type === 'tag:navette,2026:problem:upload_offset';
  }
  // parseProblem returns the type, code and detail (or title) of a problem
  // document, empty if body is none.
  function parseProblem(body) {
    try { var j = JSON.parse(body); return { type: j.type || '', code: j.code || '', detail: j.detail || j.title || '' }; } catch (err) { return {}; }
  }

  var lastAnnounced = -1;
  function progress(e, sent) {
    var now = Date.now();
    if (!e.samples.length && sent > 0 && e.sent === 0) { e.resumedAt = sent; }
    e.sent = sent;
    e.samples.push([now, sent]);
    while (e.samples.length > 2 && now - e.samples[0][0] > 5000) { e.samples.shift(); }
    e.bar.value = sent;
    var speed = rate(e.samples);
    var text = msg('percent', percent(sent, e.size));
    if (speed > 0) { text += ' — ' + size(speed) + '/s — ' + msg('left', duration((e.size - sent) / speed)); }
    e.status.textContent = text;
    update();
  }
  function rate(samples) {
    if (samples.length < 2) { return 0; }
    var a = samples[0], b = samples[samples.length - 1];
    return b[0] > a[0] ? (b[1] - a[1]) * 1000 / (b[0] - a[0]) : 0;
  }

  var totalSamples = [];
  function update() {
    var all = 0, done = 0, running = false, ready = entries.length > 0;
    entries.forEach(function (e) {
      all += e.size;
      done += e.done ? e.size : e.sent;
      if (e.upload && !e.done) { running = true; }
      if (!e.done) { ready = false; }
    });
    busy = running;
    sendBtn.disabled = sending || stopped;
    sendBtn.textContent = sending ? msg('sending') : sendLabel;
    fileInput.disabled = submitting;
    total.hidden = entries.length === 0;
    totalBar.max = Math.max(all, 1);
    totalBar.value = done;
    var now = Date.now();
    totalSamples.push([now, done]);
    while (totalSamples.length > 2 && now - totalSamples[0][0] > 5000) { totalSamples.shift(); }
    var p = percent(done, all);
    var text = msg('totalOf', p, size(done), size(all));
    var speed = rate(totalSamples);
    if (running && speed > 0) { text += ' — ' + size(speed) + '/s — ' + msg('left', duration((all - done) / speed)); }
    totalText.textContent = text;
    var milestone = Math.floor(p / 25);
    if (running && milestone !== lastAnnounced) {
      lastAnnounced = milestone;
      announce(msg('totalAnnounce', p));
    }
    if (ready && depositId && lastAnnounced !== 100) {
      lastAnnounced = 100;
      announce(msg(sending ? 'submitting' : 'allStored'));
    }
    if (ready && sending && depositId && !submitting) { submit(); }
  }

  // ---- creating the draft, sending ----
  function fields() {
    var errs = [];
    var typed = input.value.trim();
    if (typed && looksLikeEmail(typed)) { choose({ email: typed }); }
    if (!recipients.length) { errs.push(msg('needRecipient')); }
    if (!reference.value.trim()) { errs.push(msg('needReference')); }
    var days = Number(retention.value);
    if (!(days >= 1 && days <= Number(retention.max))) { errs.push(msg('badRetention', retention.max)); }
    var cap = Number(maxDownloads.value || 0);
    if (!(cap >= 0 && cap <= Number(maxDownloads.max) && Math.floor(cap) === cap)) { errs.push(msg('badMaxDownloads', maxDownloads.max)); }
    if (!entries.length) { errs.push(msg('needFile')); }
    reference.setAttribute('aria-invalid', reference.value.trim() ? 'false' : 'true');
    return errs;
  }
  // lock makes the draft's fields unchangeable, from the moment they are
  // sent: what the page shows is what the server holds. unlock undoes it
  // when the draft could not be created.
  function lock() { setLocked(true); }
  function unlock() { if (!stopped) { setLocked(false); } }
  function setLocked(on) {
    locked = on;
    [reference, message, retention, maxDownloads, input].forEach(function (el) { el.readOnly = on; });
    input.disabled = on;
    if (fromSpace) { fromSpace.disabled = on; }
    if (on) { clearTimeout(timer); seq++; found = []; closeOptions(); }
    renderChips();
  }
  function keep(key, value) {
    try {
      var store = storeOf(key);
      if (value) { store.setItem(key, value); } else { store.removeItem(key); }
    } catch (err) { /* private mode: no resume after reload */ }
  }
  // storeOf is where key is kept: a creation on its way, which holds the
  // reference and message, only in the tab's session storage (a reload
  // keeps it, closing the tab ends it), never on the workstation's disk
  // for another session; the rest, ids, in local storage.
  function storeOf(key) {
    return key === creatingKey ? sessionStorage : localStorage;
  }
  function stopSending() {
    sending = false;
    keep(sendKey, '');
  }
  function create() {
    lock();
    var body = JSON.stringify({
      recipients: recipients.map(function (r) { return r.email; }),
      reference: reference.value.trim(),
      message: message.value,
      retention_days: Number(retention.value),
      max_downloads: Number(maxDownloads.value || 0),
      from_space: fromSpace ? fromSpace.value : ''
    });
    var was = creating();
    var c = was && was.body === body ? was : { key: newKey(), body: body, at: Date.now() };
    keep(creatingKey, JSON.stringify(c));
    return createOnce(c).then(function (d) {
      depositId = d.id;
      keep(draftKey, depositId);
    }, function (err) {
      unlock();
      throw err;
    });
  }
  // creating returns the creation kept on its way, or null; one older
  // than the server keeps its key (a day, less an hour) is dropped.
  function creating() {
    var c = null;
    try { c = JSON.parse(sessionStorage.getItem(creatingKey) || 'null'); } catch (err) { c = null; }
    if (c && !(c.key && c.body && Date.now() - c.at < 23 * 3600 * 1000)) { keep(creatingKey, ''); c = null; }
    return c;
  }
  function newKey() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  // createOnce sends the creation c, again with its key while no answer
  // comes back, the server is unavailable or still busy with an earlier
  // attempt (at most 4 times in all), and resolves to the draft made.
  // Kept while its outcome is unknown, c is dropped once answered.
  function createOnce(c, attempt) {
    attempt = attempt || 0;
    return api('POST', '/api/v1/deposits', JSON.parse(c.body), c.key).then(function (d) {
      keep(creatingKey, '');
      return d;
    }, function (err) {
      if (stopped) {
        keep(creatingKey, '');
        throw err;
      }
      var unknown = !err.status || err.status >= 502;
      var busy = err.type === 'tag:navette,2026:problem:idempotency_key_in_use';
      if ((unknown || busy) && attempt < 3) {
        return new Promise(function (resolve) { setTimeout(resolve, 1000 << attempt); }).then(function () { return createOnce(c, attempt + 1); });
      }
      if (!unknown) { keep(creatingKey, ''); }
      throw err;
    });
  }
  // send is the one step: create the draft if there is none, upload every
  // file, and submit when the last is stored (update calls submit).
  function send() {
    var errs = depositId ? (entries.length ? [] : [msg('needFile')]) : fields();
    if (errs.length) { showProblem(errs); return; }
    showProblem([]);
    sending = true;
    update();
    (depositId ? Promise.resolve() : create()).then(function () {
      keep(sendKey, depositId);
      entries.forEach(start);
      var missing = entries.filter(function (e) { return !e.done && !e.file; }).length;
      announce(missing ? msgN('chooseAgain', missing) : msg('uploading'));
      update();
    }).catch(function (err) {
      stopSending();
      showProblem([err.message]);
      update();
    });
  }
  function submit() {
    submitting = true;
    update();
    var path = '/api/v1/deposits/' + encodeURIComponent(depositId);
    function sent() {
      keep(draftKey, '');
      keep(sendKey, '');
      window.location.assign('/deposits/' + encodeURIComponent(depositId) + '?done=sent');
    }
    Promise.all(removals.slice()).then(function () {
      return api('POST', path + '/submit');
    }).then(sent, function (err) {
      // A submission whose answer was lost (a network cut, or the
      // browser's own retry of it refused as no longer a draft) may have
      // reached the server: the deposit says whether it was sent.
      return api('GET', path).catch(function () { return null; }).then(function (d) {
        if (d && (d.state === 'checking' || d.state === 'available')) { sent(); return; }
        submitting = false;
        stopSending();
        showProblem([err.message]);
        update();
        if (d && err.status === 409) { markRejected(d); }
      });
    });
  }
  // markRejected shows the files of d, the draft, that the checks
  // refused, each to remove before sending again.
  function markRejected(d) {
    (d.files || []).forEach(function (f) {
      if (f.state !== 'rejected') { return; }
      var e = entries.filter(function (x) { return x.done && !x.rejected && x.name === f.name && x.size === f.size; })[0];
      if (!e) {
        // Removed here, but its deletion did not reach the server: it
        // is listed again, to remove again.
        if (entries.some(function (x) { return x.rejected && x.url === '/api/v1/uploads/' + f.id; })) { return; }
        e = makeEntry(f.name, f.size);
      }
      e.done = false;
      e.rejected = true;
      e.url = '/api/v1/uploads/' + f.id;
      e.li.classList.remove('is-done');
      e.li.classList.add('is-error');
      e.status.textContent = msg('rejected');
      e.remove.hidden = false;
    });
    update();
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!sending && !stopped) { send(); }
  });

  // ---- a draft left by a reload or a crash ----
  function restore() {
    var id = null;
    var given = new URLSearchParams(window.location.search).get('draft');
    if (given) {
      try { localStorage.setItem(draftKey, given); } catch (err) { /* private mode: the draft is not offered */ }
    }
    try { id = localStorage.getItem(draftKey); } catch (err) { return; }
    var c = id ? null : creating();
    if (!id && !c) { return; }
    // A creation left on its way by a reload: sent again with its key, it
    // gives the draft it made, or makes it if it never arrived.
    (id ? api('GET', '/api/v1/deposits/' + encodeURIComponent(id)) : createOnce(c).then(function (d) {
      if (!sending && !depositId) { keep(draftKey, d.id); }
      return d;
    })).then(function (d) {
      // Answered after "Envoyer" was pressed for a new deposit: the draft
      // left stays on the drafts page, the new one goes on.
      if (sending || depositId) { return; }
      if (d.state !== 'draft') { keep(draftKey, ''); keep(sendKey, ''); return; }
      depositId = d.id;
      try { sending = localStorage.getItem(sendKey) === depositId; } catch (err) { sending = false; }
      reference.value = d.reference || '';
      message.value = d.message || '';
      retention.value = d.retention_days;
      maxDownloads.value = d.max_downloads || 0;
      if (fromSpace && d.from_space) { fromSpace.value = d.from_space.email; }
      recipients = (d.recipients || []).map(function (r) { return { email: r.email, label: r.name ? r.name + ' <' + r.email + '>' : r.email }; });
      lock();
      var waiting = 0;
      (d.files || []).forEach(function (f) {
        if (f.state === 'purged') { return; }
        var e = makeEntry(f.name, f.size);
        e.remove.hidden = true;
        e.sent = f.offset;
        e.bar.value = f.offset;
        if (f.state === 'stored' || f.state === 'available' || f.state === 'checking') {
          e.done = true;
          e.li.classList.add('is-done');
          e.status.textContent = msg('stored');
        } else if (f.state === 'rejected') {
          e.url = '/api/v1/uploads/' + f.id;
          e.li.classList.add('is-error');
          e.status.textContent = msg('rejected');
          e.remove.hidden = false;
          stopSending();
        } else {
          waiting++;
          e.url = '/api/v1/uploads/' + f.id;
          e.status.textContent = msg('interrupted', percent(f.offset, f.size));
        }
      });
      resumeBox.textContent = '';
      var p = document.createElement('p');
      p.textContent = waiting ? msgN('resumeWaiting', waiting, d.reference, waiting) : msg('resumeFound', d.reference);
      if (sending) { p.textContent += ' ' + msg('resumeSending'); }
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'linkish';
      b.textContent = msg('discard');
      b.addEventListener('click', function () { discard(b); });
      resumeBox.appendChild(p);
      resumeBox.appendChild(b);
      resumeBox.hidden = false;
      update();
    }).catch(function (err) {
      if (err.status === 404 || err.status === 410) { keep(draftKey, ''); keep(sendKey, ''); }
    });
  }
  // postDiscard posts the web's discard of the draft, whose page is page,
  // and resolves to whether it was done. Refused (403) for the token of a
  // session before (the person signed in again in another tab), it is
  // posted again once with the session's token, if still theirs
  // (renewToken: another person's stops the page).
  function postDiscard(page, renewed) {
    return fetch(page + '/discard', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } }).then(function (res) {
      if (res.status === 403 && !renewed) {
        return renewToken().then(function () { return postDiscard(page, true); }, function () { return false; });
      }
      return res.ok;
    }, function () { return false; });
  }
  // discard gives the draft up with the web's discard, which gives up
  // only a draft: a deposit sent meanwhile (by this page's submission, or
  // by another tab) is never withdrawn by it, but shown, sent.
  function discard(button) {
    button.disabled = true;
    var page = '/deposits/' + encodeURIComponent(depositId);
    postDiscard(page).then(function (ok) {
      if (stopped) { return 'stopped'; }
      if (ok) { return 'revoked'; }
      return api('GET', '/api/v1' + page).then(function (d) { return d.state; }, function (err) {
        return err.status === 404 || err.status === 410 ? 'revoked' : '';
      });
    }).then(function (state) {
      if (state === 'stopped') { return; }
      if (state === 'draft' || !state) {
        button.disabled = false;
        showProblem([msg('discardFailed')]);
        return;
      }
      keep(draftKey, '');
      keep(sendKey, '');
      if (state === 'checking' || state === 'available') { window.location.assign(page); } else { window.location.reload(); }
    });
  }
  restore();
  update();
}());
